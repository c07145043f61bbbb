package authtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Visit is a browser without a human: it GETs url and follows redirects
// (authorization endpoint → loopback redirect URI) and returns the final
// page. It stands in for the system browser in tests and the demo mode.
func Visit(ctx context.Context, url string) (status int, page string, err error) {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("visit: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("visit: read page: %w", err)
	}
	return resp.StatusCode, string(b), nil
}
