// Package web holds the learner's page, built by Vite into dist and
// embedded in the binary. A Go-only build embeds just dist/.keep; the
// server then answers pages with "UI not built: run make ui".
package web

import "embed"

// Dist is the build output; its files are under "dist/".
//
//go:embed all:dist
var Dist embed.FS
