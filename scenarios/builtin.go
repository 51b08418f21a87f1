package scenarios

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Builtin holds the scenarios shipped inside the binary, under builtin/.
//
//go:embed builtin
var Builtin embed.FS

// BuiltinNames lists the built-in scenarios, sorted.
func BuiltinNames() []string {
	entries, err := fs.ReadDir(Builtin, "builtin")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
		}
	}
	sort.Strings(names)
	return names
}
