package relaytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// ClientCertificate is a client certificate and its key, in PEM, as an
// organisation's device-certificate tooling writes them for a workload
// certificate_config.json (cert_path, key_path) or a SecureConnect
// cert_provider_command prints them (both blocks on stdout).
type ClientCertificate struct {
	CertPEM []byte
	KeyPEM  []byte
}

// TLS is the certificate for a tls.Config.
func (c ClientCertificate) TLS() (tls.Certificate, error) {
	return tls.X509KeyPair(c.CertPEM, c.KeyPEM)
}

// IssueClient issues a client certificate for commonName (a device), valid
// for a day, that a relay with Config.RequireClientCertificate accepts.
func (ca *CA) IssueClient(commonName string) (ClientCertificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ClientCertificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return ClientCertificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return ClientCertificate{}, fmt.Errorf("issue client certificate %s: %w", commonName, err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return ClientCertificate{}, err
	}
	return ClientCertificate{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
	}, nil
}
