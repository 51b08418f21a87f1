package lab

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWordsSplitTheSeedsCommands(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{cmdGood, []string{"kubectl", "argo", "rollouts", "set", "image", "demo-app", "demo-app=hashicorp/http-echo:0.2.3", "--", "-text=Version 2 - Also Healthy", "-listen=:8080"}},
		{`echo 'a "b"' c\ d # a comment`, []string{"echo", `a "b"`, "c d"}},
		{`x "say \"hi\""`, []string{"x", `say "hi"`}},
		{"   ", nil},
	} {
		got, err := words(tc.line)
		require.NoError(t, err, tc.line)
		assert.Equal(t, tc.want, got, tc.line)
	}
	_, err := words(`x "open`)
	assert.Error(t, err)
}

func TestReadLinesJoinsContinuations(t *testing.T) {
	in := "kubectl argo rollouts set image demo-app demo-app=x:1 \\\n  -- -text=\"V 3\"\nnext\n"
	var got []string
	for l := range readLines(strings.NewReader(in)) {
		got = append(got, l)
	}
	require.Len(t, got, 2)
	w, _ := words(got[0])
	assert.Equal(t, []string{"kubectl", "argo", "rollouts", "set", "image", "demo-app", "demo-app=x:1", "--", "-text=V 3"}, w)
	assert.Equal(t, "next", got[1])
}
