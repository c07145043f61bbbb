// Package gcename is the one definition of Compute Engine names: project
// IDs and numbers, zones, VM names and IDs, and resource URLs. app, its
// Google API adapters and platform all check names here, so a name one of
// them accepts the others accept too. It imports nothing from iapdesk.
package gcename
