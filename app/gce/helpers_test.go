package gce_test

import (
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
)

// fakeAPI points every client at the fake, with its bearer token.
func fakeAPI(srv *gcetest.Server) gce.API {
	return gce.API{HTTPClient: srv.HTTPClient(), ComputeURL: srv.URL + "/compute/v1/", OSLoginURL: srv.URL + "/", ResourceManagerURL: srv.URL + "/"}
}
