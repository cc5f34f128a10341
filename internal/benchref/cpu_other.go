//go:build !unix

package benchref

import "time"

// CPUTime is unknown here (0): Measure falls back to wall time.
func CPUTime() time.Duration { return 0 }
