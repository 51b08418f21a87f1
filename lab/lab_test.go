package lab_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/drill/drilltest"
	"github.com/canarydrill/canarydrill/lab"
	"github.com/canarydrill/canarydrill/scenarios"
)

func TestMain(m *testing.M) { drilltest.Main(m) }

// syncBuffer is the lab's output, read by the test while the lab writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// trainee types at the lab's prompt, as a person would, and reads what it answers.
type trainee struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *syncBuffer
	done chan struct{}
	res  *lab.Result
	err  error
}

func start(t *testing.T, n int, scale float64) *trainee {
	t.Helper()
	pr, pw := io.Pipe()
	tr := &trainee{t: t, in: pw, out: &syncBuffer{}, done: make(chan struct{})}
	go func() {
		defer close(tr.done)
		tr.res, tr.err = lab.Run(context.Background(), n, pr, tr.out, lab.Options{
			TimeScale: scale, PodCommand: drilltest.PodCommand(), PodEnv: drilltest.PodEnv(), CheckEvery: 100 * time.Millisecond,
		})
		pr.Close() // the trainee's next line finds nobody listening
	}()
	require.Eventually(t, func() bool { return strings.Contains(tr.out.String(), "lab> ") }, 30*time.Second, 10*time.Millisecond, "the lab's prompt")
	return tr
}

// say types a line (ignored once the lab has ended).
func (tr *trainee) say(line string) { fmt.Fprintln(tr.in, line) }

// until types line every second until the lab's output has want in what it wrote since.
func (tr *trainee) until(line, want string, within time.Duration) {
	tr.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		from := len(tr.out.String())
		tr.say(line)
		time.Sleep(time.Second)
		if strings.Contains(tr.out.String()[from:], want) {
			return
		}
		select {
		case <-tr.done:
			return
		default:
		}
	}
	tr.t.Fatalf("%q never showed %q; the lab wrote:\n%s", line, want, tr.out.String())
}

// end waits for the lab's end and checks nothing is left running.
func (tr *trainee) end(within time.Duration) *lab.Result {
	tr.t.Helper()
	select {
	case <-tr.done:
	case <-time.After(within):
		tr.in.Close()
		<-tr.done
		tr.t.Fatalf("the lab did not end; it wrote:\n%s", tr.out.String())
	}
	tr.in.Close()
	require.NoError(tr.t, tr.err)
	require.Empty(tr.t, drilltest.Children(tr.t), "no demoapp process is left")
	tr.t.Logf("the lab wrote:\n%s", tr.out.String())
	return tr.res
}

// Exercise 1: the trainee looks at the template and the rollout; done once it is Healthy.
func TestInstallExercise(t *testing.T) {
	tr := start(t, 1, 0.25)
	tr.say("kubectl get analysistemplate")
	tr.until("kubectl argo rollouts get rollout demo-app", "✔ Healthy", 30*time.Second)
	res := tr.end(30 * time.Second)
	assert.True(t, res.Completed)
	out := tr.out.String()
	assert.Contains(t, out, "success-rate-check   success-rate   prometheus http://prometheus.monitoring:9090")
	assert.Contains(t, out, "✓ Exercise 1 complete")
}

// Exercise 3: the seed's step 4 as the seed says it: release the bad version, wait for the
// AnalysisRun, abort.
func TestBadCanaryAbortExercise(t *testing.T) {
	if testing.Short() {
		t.Skip("a live lab takes 15 s")
	}
	tr := start(t, 3, 0.25)
	tr.say(`kubectl argo rollouts set image demo-app demo-app=hashicorp/http-echo:0.2.3 \`)
	tr.say(`  -- -text="Version 3 - Bad Version" -listen=:8080`)
	tr.until("kubectl get analysisrun", "demo-app-", 60*time.Second)
	tr.say("kubectl argo rollouts abort demo-app")
	res := tr.end(60 * time.Second)
	assert.True(t, res.Completed)
	assert.Equal(t, scenarios.OutcomeRolledBack, res.Report.Outcome)
	require.NotNil(t, res.Report.Load)
	assert.Positive(t, res.Report.Load.FailedOnCanary, "the trainee's users met the bad version")
	assert.Contains(t, tr.out.String(), `rollout "demo-app" image updated`)
}

// Exercise 4: the analysis fails by itself; the trainee lists the runs and describes the one
// with the failed measurement.
func TestInspectExercise(t *testing.T) {
	if testing.Short() {
		t.Skip("a live lab takes 25 s")
	}
	tr := start(t, 4, 0.25)
	tr.until("kubectl get analysisrun", "Failed", 90*time.Second)
	out := tr.out.String()
	i := strings.LastIndex(out, "demo-app-")
	name := strings.Fields(out[i:])[0]
	tr.say("kubectl describe analysisrun " + name)
	res := tr.end(30 * time.Second)
	assert.True(t, res.Completed)
	assert.Contains(t, tr.out.String(), "Phase: Failed")
	assert.Equal(t, scenarios.OutcomeRolledBack, res.Report.Outcome)
}

// A trainee who quits has not completed the exercise; the lab says what is left.
func TestQuitLeavesTheExerciseOpen(t *testing.T) {
	tr := start(t, 2, 0.25)
	tr.say("help")
	tr.say("kubectl argo rollouts frobnicate demo-app")
	tr.say("quit")
	res := tr.end(30 * time.Second)
	assert.False(t, res.Completed)
	out := tr.out.String()
	assert.Contains(t, out, "kubectl argo rollouts frobnicate: the lab knows get, set image")
	assert.Contains(t, out, "Exercise 2 not completed: still to do:")
}

func TestGetRejectsExercisesThatDoNotExist(t *testing.T) {
	_, err := lab.Get(9)
	assert.EqualError(t, err, "exercise 9: there are exercises 1 to 5 (canarydrill lab lists them)")
}

// envAll runs the long exercises too (about a minute each at the tests' time scale).
const envAll = "CANARYDRILL_LAB_ALL"

func long(t *testing.T) {
	if os.Getenv(envAll) != "1" {
		t.Skipf("set %s=1 to run the long exercises", envAll)
	}
}

// Exercise 2: the good canary goes through every step and is promoted.
func TestGoodCanaryExercise(t *testing.T) {
	long(t)
	tr := start(t, 2, 0.2)
	tr.say(`kubectl argo rollouts set image demo-app demo-app=hashicorp/http-echo:0.2.3 -- -text="Version 2 - Also Healthy" -listen=:8080`)
	tr.say("kubectl argo rollouts get rollout demo-app --watch")
	res := tr.end(90 * time.Second)
	assert.True(t, res.Completed)
	assert.Equal(t, scenarios.OutcomePromoted, res.Report.Outcome)
}

// Exercise 5: retry runs the bad version again; the fixed version recovers.
func TestRecoverExercise(t *testing.T) {
	long(t)
	tr := start(t, 5, 0.2)
	tr.until("kubectl argo rollouts get rollout demo-app", "Degraded", 60*time.Second)
	tr.say("kubectl argo rollouts retry rollout demo-app")
	tr.until("kubectl argo rollouts get rollout demo-app", "Degraded", 60*time.Second)
	tr.say(`kubectl argo rollouts set image demo-app demo-app=hashicorp/http-echo:0.2.3 -- -text="Version 4 - Fixed" -listen=:8080`)
	res := tr.end(90 * time.Second)
	assert.True(t, res.Completed)
	assert.Contains(t, tr.out.String(), "rollout 'demo-app' retried")
}
