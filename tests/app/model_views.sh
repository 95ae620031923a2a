#!/bin/bash
# The window's views of a real (tiny, generated) model at 1280x800, read from the rectangles the
# layout placed (--debug-layout's JSON) rather than pixels (issue 23):
#   - Head measures: the table takes the space (>= 8 rows visible) and every column header is
#     whole and on screen (they were cut to "He...", "Entr..." under five paragraphs of definitions).
#   - Next token: the "top k" slider's label is on screen (it was cut at the panel's edge).
#   - A folder without config.json, or with a pytorch_model.bin that is not one: one line saying what is wrong.
# Screenshots are kept in $ATTNVIZ_TEST_ARTIFACTS (default /tmp/attnviz-e2e).
# $1 = the attnviz binary. Exit 77 (skip) only without Xvfb.
source "$(dirname "$0")/xvfb_session.bash"
start_xvfb
ART=${ATTNVIZ_TEST_ARTIFACTS:-/tmp/attnviz-e2e}
mkdir -p "$ART"

MODELS="$TMP/models"
"$PY" "$HERE/../model/tiny_models.py" "$MODELS" >/dev/null || fail "tiny_models.py could not write the checkpoints"
GPT2="$MODELS/gpt2_plain"  # 3 layers x 8 heads: 24 rows of measures
TEXT="the cat sat on the mat and the cat ate the hat"

shot() {  # shot NAME ARGS...: screenshot + the last layout JSON in $TMP/NAME.json
  local name=$1
  shift
  "$BIN" --no-settings --width $W --height $H --screenshot "$TMP/$name.png" --frames 12 --debug-layout "$@" \
    >"$TMP/$name.log" 2>&1 || fail "$name: attnviz exited $?: $(tail -3 "$TMP/$name.log")"
  cp "$TMP/$name.png" "$ART/model-views-$name.png"
  grep '^layoutjson ' "$TMP/$name.log" | tail -1 | cut -d' ' -f2- >"$TMP/$name.json"
  [ -s "$TMP/$name.json" ] || fail "$name: no layout printed"
}

shot measures --model "$GPT2" --text "$TEXT" --tab measures
"$PY" - "$TMP/measures.json" <<'PYEOF' || fail "measures: layout check failed"
import json, sys
named = json.load(open(sys.argv[1]))["named"]
table, row, row2 = named.get("measures_table"), named.get("measures_first_row"), named.get("measures_second_row")
assert table and row and row2, "the measures table was not drawn: %s" % sorted(named)
row_h = row2[1] - row[1]  # row pitch
assert row_h > 5, "rows %.1f px apart" % row_h
visible = int((table[3] - row[1]) // row_h)
print("measures: %d rows visible (table %.0f px high, rows %.1f px)" % (visible, table[3] - table[1], row_h))
assert visible >= 8, "only %d rows of the table are visible" % visible
headers = [k.split(":", 1)[1] for k in named if k.startswith("measures_header:")]
assert len(headers) == 6, "expected 6 column headers, got %s" % headers
for h in headers:
    cell, text = named["measures_header:" + h], named["measures_header_text:" + h]
    # The name fits its cell (no ellipsis), and the cell is inside the visible table.
    assert text[2] <= cell[2] + 0.5, "header %r is cut: text to %.1f, cell to %.1f" % (h, text[2], cell[2])
    assert cell[0] >= table[0] - 8 and cell[2] <= table[2] + 0.5, "header %r is outside the table %s: %s" % (h, table, cell)
print("measures: headers whole and on screen: " + ", ".join(headers))
PYEOF

shot next --model "$GPT2" --text "$TEXT" --tab next
"$PY" - "$TMP/next.json" <<'PYEOF' || fail "next: layout check failed"
import json, sys
layout = json.load(open(sys.argv[1]))
named, panel = layout["named"], layout["tabs_panel"]
top_k = named.get("top_k")
assert top_k, "the top k slider was not drawn"
# The slider's rectangle includes its label: it must end inside the tab's panel.
assert top_k[2] <= panel[2], "the top k label is cut: it ends at %.0f, the panel at %.0f" % (top_k[2], panel[2])
print("next: top k slider and its label inside the panel")
PYEOF
# Folders that are not models: one line saying what a model folder needs, or how to convert
# a PyTorch-only one; exit 2 before any frame.
expect_error() {  # expect_error 'WHAT' ARGS...
  local what=$1; shift
  "$BIN" --no-settings "$@" --screenshot "$TMP/err.png" >"$TMP/err.out" 2>"$TMP/err.log"
  local rc=$?
  [ "$rc" = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$TMP/err.log"))"
  [ "$(wc -l <"$TMP/err.log")" = 1 ] || fail "$what: expected one line on stderr, got: $(cat "$TMP/err.log")"
  grep -qF "$what" "$TMP/err.log" || fail "stderr does not name '$what': $(cat "$TMP/err.log")"
}
mkdir -p "$TMP/empty" "$TMP/torch"
expect_error "no config.json (a model folder holds config.json, model.safetensors" --model "$TMP/empty"
cp "$GPT2/config.json" "$TMP/torch/" && echo x >"$TMP/torch/pytorch_model.bin"
expect_error "pytorch_model.bin: not a zip archive" --model "$TMP/torch"
echo "errors: $(cat "$TMP/err.log")"

echo "PASS: model views (measures table >= 8 rows with whole headers; top k label on screen)"
