//go:build !unix

package benchref

import "time"

// cpuTime is unknown here: Measure falls back to wall time.
func cpuTime() time.Duration { return 0 }
