package scenarios

import (
	"bytes"
	"fmt"
	"io/fs"

	"github.com/canarydrill/canarydrill/fakeprom"
)

// readReplay reads spec.metrics.replay relative to the scenario's folder and checks that
// Prometheus' own tooling would accept it (promtool's rules, as fakeprom applies them).
func (sc *Scenario) readReplay(fsys fs.FS, dir string) Problems {
	file := sc.Spec.Metrics.Replay
	if file == "" {
		return nil
	}
	b, err := fs.ReadFile(fsys, resolve(dir, file))
	if err != nil {
		return Problems{fmt.Sprintf("%s: spec.metrics.replay: cannot read %q: %v", sc.Source, file, unwrapPathError(err))}
	}
	st := fakeprom.NewStore()
	if err := st.LoadOpenMetrics(bytes.NewReader(b)); err != nil {
		return Problems{fmt.Sprintf("%s: spec.metrics.replay: %s: %v", sc.Source, file, err)}
	}
	if st.Stats().Samples == 0 {
		return Problems{fmt.Sprintf("%s: spec.metrics.replay: %s holds no samples", sc.Source, file)}
	}
	sc.ReplayData = b
	return nil
}
