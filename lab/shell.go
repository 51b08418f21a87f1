package lab

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// words splits a command line as a POSIX shell does for the seed's commands: blanks separate
// words, single quotes keep everything, double quotes keep all but \" and \\, and a backslash
// escapes the next character (-text="Version 2 - Also Healthy" is one word).
func words(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, errors.New(`unterminated "`)
			}
			inWord = true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			i = len(line) // a comment, as in the seed's listings
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// readLines sends the trainee's lines, a line ending in a backslash joined with the next (the
// seed splits its set image commands so), and closes the channel at the input's end. Its
// goroutine may stay blocked reading after the lab ended: a terminal's input is the process's.
func readLines(in io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(in)
		var pending string
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), " \t\r")
			if strings.HasSuffix(line, `\`) {
				pending += strings.TrimSuffix(line, `\`) + " "
				continue
			}
			ch <- pending + line
			pending = ""
		}
		if pending != "" {
			ch <- pending
		}
	}()
	return ch
}
