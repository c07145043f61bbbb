package relaytest

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

// CA is a throwaway certificate authority and a server certificate it
// issued for tunnel.cloudproxy.app, localhost, 127.0.0.1 and ::1.
type CA struct {
	certPEM []byte
	pool    *x509.CertPool
	server  tls.Certificate
	cert    *x509.Certificate // the CA's own, to issue client certificates
	key     *ecdsa.PrivateKey
}

// NewCA creates a CA and a server certificate.
func NewCA() (*CA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "iapdesk relaytest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "tunnel.cloudproxy.app"},
		DNSNames:     []string{"tunnel.cloudproxy.app", "mtls.tunnel.cloudproxy.app", "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca := &CA{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pool:    x509.NewCertPool(),
		server:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		cert:    caCert,
		key:     caKey,
	}
	ca.pool.AddCert(caCert)
	return ca, nil
}

// ServerTLS is the server side configuration.
func (ca *CA) ServerTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
}

// ClientTLS trusts the CA.
func (ca *CA) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
}

// PEM is the CA certificate in PEM form, for SSL_CERT_FILE.
func (ca *CA) PEM() []byte { return ca.certPEM }

// WriteFile writes the CA certificate to dir/relaytest-ca.pem and returns
// the path.
func (ca *CA) WriteFile(dir string) (string, error) {
	p := filepath.Join(dir, "relaytest-ca.pem")
	return p, os.WriteFile(p, ca.certPEM, 0o644)
}
