package deliver

import (
	"time"

	"github.com/kcs-siem/siem-cef/config"
)

// OptionsOf are the transport settings of an integration.
func OptionsOf(cfg *config.Config) Options {
	opt := Options{
		Addresses:      cfg.Endpoints(),
		ConnectTimeout: cfg.ConnectTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		HoldDown:       cfg.FailoverHoldDown,
		Framing:        FramingNewline,
	}
	if cfg.Framing == config.FramingOctet {
		opt.Framing = FramingOctet
	}
	if cfg.TLS != nil {
		opt.TLS = cfg.TLS.Config
	}
	return opt
}

// New makes the transport of an integration.
func New(cfg *config.Config) Transport {
	opt := OptionsOf(cfg)
	switch cfg.Protocol {
	case config.UDP:
		return NewUDP(opt)
	case config.RELP, config.RELPTLS:
		return NewRELP(opt, cfg.RELPWindow)
	}
	return NewStream(opt)
}

// OnConnectFailure has t tell f of each address of the SIEM it could not connect to, as it happens
// (f runs in the Send that dialled). A dial the flush deadline cut short is not told: it says
// nothing about the address. UDP makes no connection, so it has nothing to tell.
func OnConnectFailure(t Transport, f func(address string)) {
	switch t := t.(type) {
	case *Stream:
		t.ends.connectFailed = f
	case *RELP:
		t.ends.connectFailed = f
	}
}

// FlushBudget is how long a flush may take (README, Bounded time): Connect_Timeout for each address
// and two Write_Timeouts, for the writes and either a rewrite on a new connection or the last RELP
// acknowledgements. A flush sets Batch.Deadline to its start plus the budget.
func FlushBudget(cfg *config.Config) time.Duration {
	return time.Duration(len(cfg.Endpoints()))*cfg.ConnectTimeout + 2*cfg.WriteTimeout
}
