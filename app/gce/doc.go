// Package gce is iapdesk's adapter to Google's APIs: Compute Engine
// (inventory, power actions, serial port, metadata, SSH keys, Windows
// credentials), OS Login and Resource Manager. It implements the small
// interfaces package app defines, with app's types, and turns every Google
// API error into an *app.APIError, so that no package but this one (and
// the fake, app/gcetest) imports google.golang.org/api.
package gce
