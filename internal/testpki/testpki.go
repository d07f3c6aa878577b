// Package testpki makes the certificate authorities and certificates the tests need: a CA, server
// certificates (good, expired, for another name) and client certificates, as PEM files.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a certificate authority whose files are in Dir.
type CA struct {
	Dir     string
	CertPEM string // path of the CA certificate
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	serial  int64
}

// Pair is a certificate and its key, as files and as a tls.Certificate.
type Pair struct {
	CertFile, KeyFile string
	TLS               tls.Certificate
}

// NewCA makes a CA in dir.
func NewCA(dir, name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &CA{Dir: dir, cert: cert, key: key, serial: 1}
	ca.CertPEM = filepath.Join(dir, name+"-ca.pem")
	return ca, writePEM(ca.CertPEM, "CERTIFICATE", der)
}

// Issue makes a certificate for the DNS names and IP addresses in names, valid from notBefore to
// notAfter, for a server or (client true) for a client. Its subject is the first name.
func (ca *CA) Issue(file string, names []string, notBefore, notAfter time.Time, client bool) (*Pair, error) {
	return ca.IssueNamed(file, pkix.Name{CommonName: names[0]}, names, notBefore, notAfter, client)
}

// IssueNamed is Issue with a subject of the caller's choice: what a certificate's author may write
// in it.
func (ca *CA) IssueNamed(file string, subject pkix.Name, names []string, notBefore, notAfter time.Time, client bool) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ca.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial),
		Subject:      subject,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	p := &Pair{CertFile: filepath.Join(ca.Dir, file+".pem"), KeyFile: filepath.Join(ca.Dir, file+"-key.pem")}
	if err := writePEM(p.CertFile, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	if err := writePEM(p.KeyFile, "EC PRIVATE KEY", keyDER); err != nil {
		return nil, err
	}
	p.TLS, err = tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
	return p, err
}

// Pool is a pool holding the CA certificate, for a server that checks client certificates.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return pool
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}
