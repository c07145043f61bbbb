// Package views holds iapdesk's Fyne widgets and windows. It stays thin: all
// decisions are made in package app, which views reach through small
// interfaces.
package views

import _ "iapdesk/views/internal/fynelocale" // before Fyne initialises
