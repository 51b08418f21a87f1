package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/drill"
	"github.com/canarydrill/canarydrill/kubecli"
	"github.com/canarydrill/canarydrill/scenarios"
)

// shell runs the trainee's commands against the drill: kubectl argo rollouts' verbs as the
// plugin's API patches (through the world's timeline, so the report records them), and the
// kubectl reads the seed's steps use.
type shell struct {
	ex    Exercise
	sess  *drill.Session
	out   io.Writer
	st    *state
	watch string // the Rollout `get --watch` redraws until the next command
	last  string // what the watch drew last
}

// exec runs one line; quit says the trainee asked to stop.
func (sh *shell) exec(line string) (quit bool) {
	sh.watch = ""
	w, err := words(line)
	if err != nil {
		fmt.Fprintln(sh.out, "error:", err)
		return false
	}
	if len(w) == 0 {
		return false
	}
	switch {
	case w[0] == "quit" || w[0] == "exit":
		return true
	case w[0] == "help":
		sh.help()
	case w[0] == "hint":
		sh.hint()
	case w[0] == "status":
		sh.status()
	case w[0] == "kubectl" && len(w) > 2 && w[1] == "argo" && w[2] == "rollouts":
		sh.argo(w[3:])
	case w[0] == "kubectl-argo-rollouts":
		sh.argo(w[1:])
	case w[0] == "canarydrill" && len(w) > 1 && w[1] == "rollouts":
		sh.argo(w[2:])
	case w[0] == "kubectl":
		sh.kubectl(w[1:])
	case w[0] == "kind":
		fmt.Fprintln(sh.out, "the lab's cluster is this machine's loopback: nothing to do for kind here")
	default:
		fmt.Fprintf(sh.out, "%s: not a command of the lab (type help)\n", w[0])
	}
	return false
}

// flags takes the flags the lab knows out of args: boolean ones by name, and the namespace
// (only the seed's default namespace exists).
func flags(args []string, bools ...string) (rest []string, set map[string]bool, dashdash []string) {
	set = map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return rest, set, args[i+1:]
		case a == "-n" || a == "--namespace":
			i++
		case strings.HasPrefix(a, "--namespace=") || strings.HasPrefix(a, "-n="):
		case strings.HasPrefix(a, "-"):
			name := strings.TrimLeft(a, "-")
			for _, b := range bools {
				if name == b || (len(b) > 0 && name == b[:1]) {
					set[b] = true
				}
			}
		default:
			rest = append(rest, a)
		}
	}
	return rest, set, nil
}

// name is the Rollout an argo command names: `get rollout NAME` or `get NAME`.
func name(args []string) (string, bool) {
	if len(args) > 0 && (args[0] == "rollout" || args[0] == "rollouts" || args[0] == "ro") {
		args = args[1:]
	}
	if len(args) != 1 {
		return "", false
	}
	return args[0], true
}

// actions are the plugin's verbs that are timeline actions, with what the plugin prints.
var actions = map[string]string{
	scenarios.ActionPromote: "promoted", scenarios.ActionAbort: "aborted", scenarios.ActionRetry: "retried",
	scenarios.ActionPause: "paused", scenarios.ActionResume: "resumed", scenarios.ActionUndo: "rolled back",
}

func (sh *shell) argo(args []string) {
	if len(args) == 0 {
		fmt.Fprintln(sh.out, "kubectl argo rollouts: a verb is needed (get, set image, promote, abort, retry, pause, resume, undo, list)")
		return
	}
	verb := args[0]
	rest, set, dashdash := flags(args[1:], "watch", "full")
	switch verb {
	case "get":
		n, ok := name(rest)
		if !ok {
			fmt.Fprintln(sh.out, "usage: kubectl argo rollouts get rollout NAME [--watch]")
			return
		}
		sh.st.looked["rollout"] = true
		tree := sh.tree(n)
		fmt.Fprint(sh.out, tree)
		if set["watch"] {
			sh.watch, sh.last = n, tree
			fmt.Fprintln(sh.out, "(watching: the tree is redrawn when it changes, until your next command)")
		}
	case "list":
		sh.st.looked["rollout"] = true
		sh.list()
	case "set":
		sh.setImage(rest, dashdash)
	default:
		what, ok := actions[verb]
		n, named := name(rest)
		if !ok || !named {
			fmt.Fprintf(sh.out, "kubectl argo rollouts %s: the lab knows get, set image, promote, abort, retry, pause, resume, undo and list, each with a rollout name\n", verb)
			return
		}
		action := verb
		if verb == scenarios.ActionPromote && set["full"] {
			action, what = scenarios.ActionPromoteFull, "fully promoted"
		}
		if err := sh.sess.Apply(scenarios.Entry{Rollout: n, Action: action}); err != nil {
			fmt.Fprintln(sh.out, "error:", err)
			return
		}
		fmt.Fprintf(sh.out, "rollout '%s' %s\n", n, what)
	}
}

// setImage is `set image NAME CONTAINER=IMAGE [-- ARGS...]`: the seed passes the new -text
// after "--", and the lab gives the pods the behaviour of the version that text names.
func (sh *shell) setImage(rest, args []string) {
	if len(rest) != 3 || rest[0] != "image" || !strings.Contains(rest[2], "=") {
		fmt.Fprintln(sh.out, "usage: kubectl argo rollouts set image NAME CONTAINER=IMAGE [-- ARGS...]")
		return
	}
	n := rest[1]
	container, image, _ := strings.Cut(rest[2], "=")
	if container != rolloutKey.Name {
		fmt.Fprintf(sh.out, "error: container %q not found in rollout %q (its container is %q)\n", container, n, rolloutKey.Name)
		return
	}
	version := versionOf(args)
	u := &scenarios.Update{Image: image, Version: version}
	if args != nil {
		u.Args = args
	}
	if err := sh.sess.Apply(scenarios.Entry{Rollout: n, Update: u}); err != nil {
		fmt.Fprintln(sh.out, "error:", err)
		return
	}
	sh.st.released = true
	if version == versionBad && !sh.st.badReleased {
		sh.st.badReleased = true
		if err := sh.sess.Apply(badFault()); err != nil {
			fmt.Fprintln(sh.out, "error:", err)
		}
	}
	fmt.Fprintf(sh.out, "rollout \"%s\" image updated\n", n)
}

// versionOf is the lab version a -text names: Version 2 healthy, 3 failing every request,
// 4 fixed; any other text a healthy default.
func versionOf(args []string) string {
	text := strings.Join(args, " ")
	switch {
	case strings.Contains(text, "Version 2"):
		return versionGood
	case strings.Contains(text, "Version 3"):
		return versionBad
	case strings.Contains(text, "Version 4"):
		return versionFixed
	}
	return scenarios.DefaultVersion
}

// tree is `get rollout NAME` as the plugin draws it.
func (sh *shell) tree(n string) string {
	var b bytes.Buffer
	key := types.NamespacedName{Namespace: rolloutKey.Namespace, Name: n}
	if !sh.sess.Do(func(ctx context.Context, c client.Client) {
		info, err := kubecli.Load(ctx, c, key)
		if err != nil {
			fmt.Fprintln(&b, "error:", err)
			return
		}
		kubecli.PrintRollout(&b, info, sh.sess.Now())
	}) {
		return "the drill has ended\n"
	}
	return b.String()
}

func (sh *shell) list() {
	var b bytes.Buffer
	sh.sess.Do(func(ctx context.Context, c client.Client) {
		var l v1alpha1.RolloutList
		if err := c.List(ctx, &l, client.InNamespace(rolloutKey.Namespace)); err != nil {
			fmt.Fprintln(&b, "error:", err)
			return
		}
		kubecli.PrintList(&b, l.Items, false)
	})
	fmt.Fprint(sh.out, b.String())
}

// redraw is the watch: the tree again when it changed.
func (sh *shell) redraw() {
	if sh.watch == "" {
		return
	}
	if tree := sh.tree(sh.watch); tree != sh.last {
		sh.last = tree
		fmt.Fprintf(sh.out, "\n%s", tree)
	}
}
