// Package settings is connection settings and their inheritance: the
// levels a setting can be saved at (project, zone, VM, saved profile, and a
// link's or a command line's own), how they resolve into one value per
// field, and the field table the generic settings dialog edits. It is
// pure: no I/O; app saves the levels (connections.json) and turns resolved
// settings into client parameters.
package settings
