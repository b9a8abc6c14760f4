// An independent check of sendtrail's signed artefacts, in Go, for the interop tests
// (tests/interop). It shares no code with sendtrail:
//
//   - signed notes (C2SP signed-note): golang.org/x/mod/sumdb/note, the reference
//     implementation, opens our checkpoints and signs notes for our verifier to accept;
//   - cosignatures (C2SP tlog-cosignature, cosignature/v1): written here from the spec
//     with crypto/ed25519 (x/mod does not know them);
//   - Merkle proofs: RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), written
//     here from the RFC's text, and the tree hash MTH of §2.1.1.
//
// Every subcommand prints what it found on stdout and exits 1 (with the reason on
// stderr) when a check fails; 2 is a usage error.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "keygen": // NAME -> skey and vkey lines
		need(args, 1)
		var skey, vkey string
		skey, vkey, err = note.GenerateKey(rand.Reader, args[0])
		if err == nil {
			fmt.Printf("%s\n%s\n", skey, vkey)
		}
	case "vkey": // NAME PUBLIC-BASE64 -> the verifier key x/mod makes of an Ed25519 key
		need(args, 2)
		var public []byte
		public, err = base64.StdEncoding.DecodeString(args[1])
		if err == nil {
			var vkey string
			vkey, err = note.NewEd25519VerifierKey(args[0], ed25519.PublicKey(public))
			fmt.Println(vkey)
		}
	case "sign": // SKEY TEXTFILE -> the signed note
		need(args, 2)
		err = sign(args[0], args[1])
	case "open": // VKEY NOTEFILE -> the note's text, verified by x/mod's note.Open
		need(args, 2)
		err = open(args[0], args[1])
	case "cosigned": // NAME PUBLIC-BASE64 NOTEFILE -> the time the witness cosigned
		need(args, 3)
		err = cosigned(args[0], args[1], args[2])
	case "cosign": // NAME SEED-HEX TIME NOTEFILE -> a cosignature line
		need(args, 4)
		err = cosign(args[0], args[1], args[2], args[3])
	case "bundle": // VKEY ZIPFILE -> every proof of an evidence bundle, checked
		need(args, 2)
		err = bundle(args[0], args[1])
	case "consistency": // VKEY OLDNOTEFILE NEWNOTEFILE PROOFJSON (`checkpoint --proof-from`)
		need(args, 4)
		err = consistencyFile(args[0], args[1], args[2], args[3])
	case "proofs": // JSONFILE of trees and proofs -> each checked, and each tampered copy refused
		need(args, 1)
		err = proofs(args[0])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAILED:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: interop keygen|vkey|sign|open|cosigned|cosign|bundle|consistency|proofs ARGS")
	os.Exit(2)
}

func need(args []string, n int) {
	if len(args) != n {
		usage()
	}
}

// ---- signed notes (golang.org/x/mod/sumdb/note) ----

func sign(skey, textFile string) error {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return err
	}
	text, err := os.ReadFile(textFile)
	if err != nil {
		return err
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(msg)
	return err
}

func openNote(vkey string, msg []byte) (*note.Note, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	return note.Open(msg, note.VerifierList(verifier))
}

func open(vkey, noteFile string) error {
	msg, err := os.ReadFile(noteFile)
	if err != nil {
		return err
	}
	n, err := openNote(vkey, msg)
	if err != nil {
		return err
	}
	fmt.Printf("signed by %s, %d other signature(s)\n%s", n.Sigs[0].Name, len(n.UnverifiedSigs), n.Text)
	return nil
}

// ---- cosignatures (C2SP tlog-cosignature, from the spec) ----

const dash = "\u2014 "

func cosignatureMessage(body []byte, timestamp uint64) []byte {
	return append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", timestamp)), body...)
}

func cosignatureKeyID(name string, public ed25519.PublicKey) []byte {
	sum := sha256.Sum256(append(append([]byte(name+"\n"), 0x04), public...))
	return sum[:4]
}

// splitNote returns the note's body (ending in "\n") and its signature lines.
func splitNote(msg []byte) ([]byte, []string, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 || !bytes.HasSuffix(msg, []byte("\n")) {
		return nil, nil, errors.New("not a signed note")
	}
	lines := strings.Split(strings.TrimSuffix(string(msg[i+2:]), "\n"), "\n")
	return msg[:i+1], lines, nil
}

func cosigned(name, publicB64, noteFile string) error {
	public, err := base64.StdEncoding.DecodeString(publicB64)
	if err != nil || len(public) != ed25519.PublicKeySize {
		return errors.New("the witness key is not 32 bytes of base64")
	}
	msg, err := os.ReadFile(noteFile)
	if err != nil {
		return err
	}
	body, lines, err := splitNote(msg)
	if err != nil {
		return err
	}
	want := cosignatureKeyID(name, public)
	for _, line := range lines {
		if !strings.HasPrefix(line, dash+name+" ") {
			continue
		}
		blob, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, dash+name+" "))
		if err != nil || len(blob) != 4+8+ed25519.SignatureSize || !bytes.Equal(blob[:4], want) {
			continue
		}
		timestamp := binary.BigEndian.Uint64(blob[4:12])
		if ed25519.Verify(public, cosignatureMessage(body, timestamp), blob[12:]) {
			fmt.Printf("cosigned by %s at %d\n", name, timestamp)
			return nil
		}
	}
	return fmt.Errorf("no valid cosignature by %s", name)
}

func cosign(name, seedHex, timeText, noteFile string) error {
	seed, err := hex.DecodeString(seedHex)
	if err != nil || len(seed) != ed25519.SeedSize {
		return errors.New("the seed is not 32 bytes of hex")
	}
	timestamp, err := strconv.ParseUint(timeText, 10, 64)
	if err != nil {
		return err
	}
	msg, err := os.ReadFile(noteFile)
	if err != nil {
		return err
	}
	body, _, err := splitNote(msg)
	if err != nil {
		return err
	}
	key := ed25519.NewKeyFromSeed(seed)
	blob := cosignatureKeyID(name, key.Public().(ed25519.PublicKey))
	blob = binary.BigEndian.AppendUint64(blob, timestamp)
	blob = append(blob, ed25519.Sign(key, cosignatureMessage(body, timestamp))...)
	fmt.Printf("%s%s %s\n", dash, name, base64.StdEncoding.EncodeToString(blob))
	return nil
}

// ---- RFC 9162 Merkle trees ----

func leafHash(data []byte) []byte {
	sum := sha256.Sum256(append([]byte{0}, data...))
	return sum[:]
}

func nodeHash(left, right []byte) []byte {
	sum := sha256.Sum256(append(append([]byte{1}, left...), right...))
	return sum[:]
}

// mth is MTH(D[n]) of RFC 9162 §2.1.1, over leaf hashes.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		sum := sha256.Sum256(nil)
		return sum[:]
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return nodeHash(mth(leaves[:k]), mth(leaves[k:]))
}

// verifyInclusion is RFC 9162 §2.1.3.2.
func verifyInclusion(leaf []byte, index, size uint64, path [][]byte, root []byte) error {
	if index >= size {
		return errors.New("leaf index beyond the tree")
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range path {
		if sn == 0 {
			return errors.New("inclusion proof too long")
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return errors.New("inclusion proof too short")
	}
	if !bytes.Equal(r, root) {
		return errors.New("inclusion proof does not lead to the root")
	}
	return nil
}

// verifyConsistency is RFC 9162 §2.1.4.2.
func verifyConsistency(first, second uint64, firstRoot, secondRoot []byte, path [][]byte) error {
	if first == 0 || first > second {
		return errors.New("sizes out of order")
	}
	if first == second {
		if len(path) != 0 || !bytes.Equal(firstRoot, secondRoot) {
			return errors.New("equal sizes need an empty proof and equal roots")
		}
		return nil
	}
	if len(path) == 0 {
		return errors.New("empty consistency proof")
	}
	if first&(first-1) == 0 { // a power of two: first_hash is the first node
		path = append([][]byte{firstRoot}, path...)
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return errors.New("consistency proof too long")
		}
		if fn&1 == 1 || fn == sn {
			fr = nodeHash(c, fr)
			sr = nodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = nodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return errors.New("consistency proof too short")
	}
	if !bytes.Equal(fr, firstRoot) || !bytes.Equal(sr, secondRoot) {
		return errors.New("consistency proof does not lead to the two roots")
	}
	return nil
}

// ---- checkpoints (C2SP tlog-checkpoint) ----

type checkpoint struct {
	origin     string
	size       uint64
	root       []byte
	headsCount uint64
	headsRoot  []byte
}

func parseCheckpoint(text string) (checkpoint, error) {
	var c checkpoint
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return c, errors.New("checkpoint body has fewer than 3 lines")
	}
	var err error
	c.origin = lines[0]
	if c.size, err = strconv.ParseUint(lines[1], 10, 64); err != nil {
		return c, err
	}
	if c.root, err = base64.StdEncoding.DecodeString(lines[2]); err != nil || len(c.root) != 32 {
		return c, errors.New("checkpoint root is not 32 bytes of base64")
	}
	for _, line := range lines[3:] {
		fields := strings.Split(line, " ")
		if len(fields) == 3 && fields[0] == "sendtrail-heads" {
			if c.headsCount, err = strconv.ParseUint(fields[1], 10, 64); err != nil {
				return c, err
			}
			if c.headsRoot, err = base64.StdEncoding.DecodeString(fields[2]); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

func openCheckpoint(vkey string, msg []byte) (checkpoint, error) {
	n, err := openNote(vkey, msg)
	if err != nil {
		return checkpoint{}, err
	}
	return parseCheckpoint(n.Text)
}

func hexList(items []string) ([][]byte, error) {
	out := make([][]byte, len(items))
	for i, item := range items {
		b, err := hex.DecodeString(item)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("proof hash %d is not 32 bytes of hex", i)
		}
		out[i] = b
	}
	return out, nil
}

// canonical is RFC 8785 (JCS) for what our leaves and heads hold (strings and integers):
// members sorted by key, no whitespace, strings escaped only where JSON requires.
func canonical(value interface{}) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(value); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func decodeJSON(data []byte, into interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(into)
}

// ---- evidence bundles ----

func readZip(path string) (map[string][]byte, error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	files := map[string][]byte{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		files[f.Name] = data
	}
	return files, nil
}

func bundle(vkey, zipFile string) error {
	files, err := readZip(zipFile)
	if err != nil {
		return err
	}
	head, err := openCheckpoint(vkey, files["data/audit/checkpoint.txt"])
	if err != nil {
		return fmt.Errorf("data/audit/checkpoint.txt: %w", err)
	}
	// events.jsonl: one JSON object a line, lines split on "\n" only.
	events := strings.Split(strings.TrimSuffix(string(files["data/events.jsonl"]), "\n"), "\n")
	checked := 0
	for number, line := range events {
		var event struct {
			Leaf  map[string]interface{} `json:"leaf"`
			Proof []string               `json:"inclusion_proof"`
		}
		if err := decodeJSON([]byte(line), &event); err != nil {
			return fmt.Errorf("events.jsonl line %d: %w", number+1, err)
		}
		leafJSON, err := canonical(event.Leaf)
		if err != nil {
			return err
		}
		index, err := strconv.ParseUint(string(event.Leaf["index"].(json.Number)), 10, 64)
		if err != nil {
			return err
		}
		path, err := hexList(event.Proof)
		if err != nil {
			return err
		}
		if err := verifyInclusion(leafHash(leafJSON), index, head.size, path, head.root); err != nil {
			return fmt.Errorf("events.jsonl line %d (leaf %d): %w", number+1, index, err)
		}
		checked++
	}
	fmt.Printf("checkpoint %s size %d\n", head.origin, head.size)
	fmt.Printf("inclusion proofs: %d verified\n", checked)

	// The child's head in the heads tree of the sendtrail-heads extension line.
	var childHead struct {
		Raw      []interface{} `json:"head"`
		Position uint64        `json:"position"`
		Count    uint64        `json:"heads_count"`
		Proof    []string      `json:"proof"`
	}
	if err := decodeJSON(files["data/audit/child-head.json"], &childHead); err != nil {
		return fmt.Errorf("child-head.json: %w", err)
	}
	if len(childHead.Raw) != 4 || childHead.Count != head.headsCount {
		return errors.New("child-head.json does not match the checkpoint's heads line")
	}
	headJSON, err := canonical(map[string]interface{}{
		"child_id":   childHead.Raw[0],
		"version":    childHead.Raw[1],
		"leaf_index": childHead.Raw[2],
		"leaf_hash":  childHead.Raw[3],
	})
	if err != nil {
		return err
	}
	headPath, err := hexList(childHead.Proof)
	if err != nil {
		return err
	}
	if err := verifyInclusion(leafHash(headJSON), childHead.Position, head.headsCount, headPath, head.headsRoot); err != nil {
		return fmt.Errorf("child head: %w", err)
	}
	fmt.Println("child head: verified")

	if previous, ok := files["data/audit/previous-checkpoint.txt"]; ok {
		old, err := openCheckpoint(vkey, previous)
		if err != nil {
			return fmt.Errorf("previous-checkpoint.txt: %w", err)
		}
		var c struct {
			Old   uint64   `json:"old_size"`
			New   uint64   `json:"new_size"`
			Proof []string `json:"proof"`
		}
		if err := decodeJSON(files["data/audit/consistency.json"], &c); err != nil {
			return fmt.Errorf("consistency.json: %w", err)
		}
		path, err := hexList(c.Proof)
		if err != nil {
			return err
		}
		if c.Old != old.size || c.New != head.size {
			return errors.New("consistency.json names other sizes than the two checkpoints")
		}
		if err := verifyConsistency(old.size, head.size, old.root, head.root, path); err != nil {
			return fmt.Errorf("consistency %d -> %d: %w", old.size, head.size, err)
		}
		fmt.Printf("consistency %d -> %d: verified\n", old.size, head.size)
	}
	return nil
}

// consistencyFile checks what `sendtrail checkpoint --proof-from N --proof-out FILE` wrote
// against an older checkpoint: the new checkpoint (a signed note on its own, opened whole
// by x/mod) and the proof file ({"old_size", "new_size", "proof": [hex, ...]}).
func consistencyFile(vkey, oldFile, newFile, proofFile string) error {
	oldMsg, err := os.ReadFile(oldFile)
	if err != nil {
		return err
	}
	old, err := openCheckpoint(vkey, oldMsg)
	if err != nil {
		return fmt.Errorf("old checkpoint: %w", err)
	}
	newMsg, err := os.ReadFile(newFile)
	if err != nil {
		return err
	}
	head, err := openCheckpoint(vkey, newMsg)
	if err != nil {
		return fmt.Errorf("new checkpoint: %w", err)
	}
	text, err := os.ReadFile(proofFile)
	if err != nil {
		return err
	}
	var c struct {
		Old   uint64   `json:"old_size"`
		New   uint64   `json:"new_size"`
		Proof []string `json:"proof"`
	}
	if err := decodeJSON(text, &c); err != nil {
		return fmt.Errorf("proof file: %w", err)
	}
	if c.Old != old.size || c.New != head.size {
		return errors.New("the proof names other sizes than the two checkpoints")
	}
	path, err := hexList(c.Proof)
	if err != nil {
		return err
	}
	if err := verifyConsistency(old.size, head.size, old.root, head.root, path); err != nil {
		return err
	}
	fmt.Printf("consistency %d -> %d: verified\n", old.size, head.size)
	return nil
}

// ---- proofs over given trees, and every tampered copy ----

type proofCases struct {
	Leaves    []string `json:"leaves"`
	Roots     []string `json:"roots"` // roots[n-1] = the root of the first n leaves
	Inclusion []struct {
		Index uint64   `json:"index"`
		Size  uint64   `json:"size"`
		Proof []string `json:"proof"`
	} `json:"inclusion"`
	Consistency []struct {
		Old   uint64   `json:"old"`
		New   uint64   `json:"new"`
		Proof []string `json:"proof"`
	} `json:"consistency"`
}

func flipped(path [][]byte, i int) [][]byte {
	out := make([][]byte, len(path))
	copy(out, path)
	out[i] = append([]byte{}, path[i]...)
	out[i][0] ^= 1
	return out
}

func proofs(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var cases proofCases
	if err := json.Unmarshal(data, &cases); err != nil {
		return err
	}
	leaves, err := hexList(cases.Leaves)
	if err != nil {
		return err
	}
	roots, err := hexList(cases.Roots)
	if err != nil {
		return err
	}
	for n := range roots {
		if !bytes.Equal(mth(leaves[:n+1]), roots[n]) {
			return fmt.Errorf("root of %d leaves differs", n+1)
		}
	}
	for _, c := range cases.Inclusion {
		path, err := hexList(c.Proof)
		if err != nil {
			return err
		}
		root := roots[c.Size-1]
		if err := verifyInclusion(leaves[c.Index], c.Index, c.Size, path, root); err != nil {
			return fmt.Errorf("inclusion %d in %d: %w", c.Index, c.Size, err)
		}
		for i := range path {
			if verifyInclusion(leaves[c.Index], c.Index, c.Size, flipped(path, i), root) == nil {
				return fmt.Errorf("inclusion %d in %d accepted with hash %d flipped", c.Index, c.Size, i)
			}
		}
		if c.Index+1 < c.Size && verifyInclusion(leaves[c.Index], c.Index+1, c.Size, path, root) == nil {
			return fmt.Errorf("inclusion %d in %d accepted at the next index", c.Index, c.Size)
		}
	}
	for _, c := range cases.Consistency {
		path, err := hexList(c.Proof)
		if err != nil {
			return err
		}
		oldRoot, newRoot := roots[c.Old-1], roots[c.New-1]
		if err := verifyConsistency(c.Old, c.New, oldRoot, newRoot, path); err != nil {
			return fmt.Errorf("consistency %d -> %d: %w", c.Old, c.New, err)
		}
		for i := range path {
			if verifyConsistency(c.Old, c.New, oldRoot, newRoot, flipped(path, i)) == nil {
				return fmt.Errorf("consistency %d -> %d accepted with hash %d flipped", c.Old, c.New, i)
			}
		}
	}
	fmt.Printf("roots: %d, inclusion proofs: %d, consistency proofs: %d verified\n",
		len(roots), len(cases.Inclusion), len(cases.Consistency))
	return nil
}
