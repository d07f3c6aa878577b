// Package relptest is the server side of RELP for the tests: reading the frames a client sends and
// answering them as rsyslog's imrelp does.
package relptest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadFrame reads one "TXNR SP COMMAND SP DATALEN [SP DATA] LF" frame.
func ReadFrame(r *bufio.Reader) (txnr int, command string, data []byte, err error) {
	head, err := r.ReadString(' ')
	if err != nil {
		return 0, "", nil, err
	}
	if txnr, err = strconv.Atoi(strings.TrimSpace(head)); err != nil {
		return 0, "", nil, err
	}
	if command, err = r.ReadString(' '); err != nil {
		return 0, "", nil, err
	}
	command = strings.TrimSpace(command)
	var lenText []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			return 0, "", nil, err
		}
		if c != ' ' && c != '\n' {
			lenText = append(lenText, c)
			continue
		}
		n, err := strconv.Atoi(string(lenText))
		if err != nil {
			return 0, "", nil, err
		}
		if c == ' ' {
			data = make([]byte, n+1) // the data and the trailing LF
			if _, err = io.ReadFull(r, data); err != nil {
				return 0, "", nil, err
			}
			data = data[:n]
		}
		return txnr, command, data, nil
	}
}

// Reply is the response imrelp gives a frame: the open offers, "200 OK" for a message, nothing
// but the response for close. ok false answers a message with status 500.
func Reply(w io.Writer, txnr int, command string, ok bool) error {
	switch {
	case command == "open":
		return Respond(w, txnr, "200 OK\nrelp_version=0\nrelp_software=relptest\ncommands=syslog")
	case command == "close":
		return Respond(w, txnr, "")
	case !ok:
		return Respond(w, txnr, "500 not accepted")
	}
	return Respond(w, txnr, "200 OK")
}

// Respond writes the rsp frame of transaction txnr with data ("STATUS [text]", or nothing), for
// the tests of what a server may answer.
func Respond(w io.Writer, txnr int, data string) error {
	if data == "" {
		_, err := fmt.Fprintf(w, "%d rsp 0\n", txnr)
		return err
	}
	_, err := fmt.Fprintf(w, "%d rsp %d %s\n", txnr, len(data), data)
	return err
}
