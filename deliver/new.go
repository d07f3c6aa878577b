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

// FlushBudget is how long a flush may take (README, Bounded time): Connect_Timeout for each address
// and two Write_Timeouts, for the writes and either a rewrite on a new connection or the last RELP
// acknowledgements. A flush sets Batch.Deadline to its start plus the budget.
func FlushBudget(cfg *config.Config) time.Duration {
	return time.Duration(len(cfg.Endpoints()))*cfg.ConnectTimeout + 2*cfg.WriteTimeout
}
