#!/usr/bin/env bash
# Checks every line of the evaluation question set against the real PDFs.
#
#   eval/verify.sh [DOCS_DIR] [QUESTIONS_FILE]
#
# DOCS_DIR defaults to .state/eval-docs (fill it with eval/fetch-docs.sh), QUESTIONS_FILE to eval/questions.jsonl.
# For each line: valid JSON; fields present and well typed; the document exists and has that page;
# kind "text" (and "table": a cell of a table on that page): the expected answer is in that page's text layer (pdftotext);
# kind "image": it is NOT in that page's text layer but IS in the Tesseract OCR of an image embedded on that page
# (pdfimages -png, then OMP_THREAD_LIMIT=1 tesseract IMG stdout);
# "alsoOn" lists every other page whose text layer holds the answer, and each listed page does hold it
# (in its text, or for image questions in an image's OCR); the question does not give the answer away.
# "Holds the answer" means: case-insensitive and whitespace-collapsed substring, and also a whole-token match
# after the normalisation the sweep uses to grade answers (so "2.0" is not found inside "1.2.0").
# Prints one line per question, counts per kind and per document, and "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
docs=${1:-.state/eval-docs}
questions=${2:-$here/questions.jsonl}

for tool in pdftotext pdfinfo pdfimages tesseract python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "verify: '$tool' is missing: run eval/fetch-docs.sh (it installs poppler-utils and tesseract-ocr)" >&2
        exit 2
    fi
done
if [ ! -d "$docs" ]; then
    echo "verify: no folder $docs: run eval/fetch-docs.sh $docs first" >&2
    exit 2
fi
if [ ! -f "$questions" ]; then
    echo "verify: no question file $questions" >&2
    exit 2
fi

exec python3 - "$docs" "$questions" <<'PY'
import atexit, collections, concurrent.futures, glob, json, os, re, shutil, subprocess, sys, tempfile

docs_dir, questions_file = sys.argv[1], sys.argv[2]
KINDS = ("text", "image", "table")


def norm(s):
    """The sweep's answer normalisation (SweepCommand.normalise), without dropping articles."""
    t = s.lower()
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)
    t = re.sub(r"[^\w.]+|_", " ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def collapse(s):
    return re.sub(r"\s+", " ", s).lower()


def holds(text, expected):
    return collapse(expected) in collapse(text) and (" " + norm(expected) + " ") in (" " + norm(text) + " ")


def mentions(text, expected):
    """Looser than holds(): either form found. Used where finding the answer is a failure."""
    return collapse(expected) in collapse(text) or (" " + norm(expected) + " ") in (" " + norm(text) + " ")


def doc_id(name):
    dot = name.rfind(".")
    return re.sub(r"[^A-Za-z0-9._-]", "-", name[:dot] if dot > 0 else name)


files = {doc_id(os.path.basename(f)): f for f in sorted(glob.glob(os.path.join(docs_dir, "*.pdf")))}
page_texts = {}


def texts(doc):
    """Text layer of every page: pdftotext ends each page with a form feed."""
    if doc not in page_texts:
        info = subprocess.run(["pdfinfo", files[doc]], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", files[doc], "-"], capture_output=True, text=True, check=True).stdout
        parts = out.split("\f")
        page_texts[doc] = [parts[i] if i < len(parts) else "" for i in range(pages)]
    return page_texts[doc]


def page_text(doc, page):
    """One page's text as `pdftotext -f P -l P` gives it (the whole-document split is only for the alsoOn scan)."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), files[doc], "-"],
                          capture_output=True, text=True, check=True).stdout


ocr_cache = {}
workdir = tempfile.mkdtemp(prefix="eval-verify-")
atexit.register(shutil.rmtree, workdir, True)


def ocr_one(png):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    r = subprocess.run(["tesseract", png, "stdout"], capture_output=True, text=True, env=env)
    return r.stdout if r.returncode == 0 else ""


def ocr(doc, page):
    """OCR text of each image embedded on the page: list of (image file, text)."""
    key = (doc, page)
    if key not in ocr_cache:
        prefix = os.path.join(workdir, "%s-%d" % (re.sub(r"[^A-Za-z0-9]", "_", doc), page))
        subprocess.run(["pdfimages", "-f", str(page), "-l", str(page), "-png", files[doc], prefix], check=True)
        pngs = sorted(glob.glob(prefix + "-*.png"))
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            ocr_cache[key] = list(zip([os.path.basename(p) for p in pngs], pool.map(ocr_one, pngs)))
    return ocr_cache[key]


passed = failed = 0
per_kind = collections.Counter()
per_doc = collections.Counter()
per_doc_kind = collections.Counter()
seen_questions = set()

with open(questions_file, encoding="utf-8") as fh:
    lines = fh.read().splitlines()

for n, line in enumerate(lines, 1):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    errors = []
    try:
        q = json.loads(line)
    except ValueError as e:
        q = None
        errors.append("not valid JSON: %s" % e)
    if q is not None and not isinstance(q, dict):
        errors.append("not a JSON object")
        q = None
    if q is not None:
        for field, typ in (("question", str), ("expected", str), ("documentId", str), ("page", int), ("kind", str)):
            if field not in q:
                errors.append("missing field %s" % field)
            elif not isinstance(q[field], typ) or isinstance(q[field], bool) or (typ is str and not q[field].strip()):
                errors.append("field %s must be a non-empty %s" % (field, typ.__name__))
        also = q.get("alsoOn", [])
        if not isinstance(also, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in also):
            errors.append("alsoOn must be a list of page numbers")
            also = []
        if not errors:
            doc, page, kind, exp = q["documentId"], q["page"], q["kind"], q["expected"]
            if kind not in KINDS:
                errors.append("kind must be one of %s" % (KINDS,))
            if doc not in files:
                errors.append("no PDF with document id %r in %s" % (doc, docs_dir))
            if q["question"] in seen_questions:
                errors.append("duplicate question")
            seen_questions.add(q["question"])
            if (" " + norm(exp) + " ") in (" " + norm(q["question"]) + " "):
                errors.append("the question contains the expected answer")
            if len(exp.split()) > 5:
                errors.append("expected answer is longer than 5 words")
        if not errors:
            pages = texts(doc)
            if not 1 <= page <= len(pages):
                errors.append("page %d outside 1..%d" % (page, len(pages)))
            bad = [p for p in also if not 1 <= p <= len(pages) or p == page]
            if bad or len(set(also)) != len(also):
                errors.append("alsoOn has invalid, repeated or self pages: %s" % also)
        if not errors:
            here_text = page_text(doc, page)
            if kind in ("text", "table"):
                if not holds(here_text, exp):
                    errors.append("%r not in the text layer of page %d" % (exp, page))
            else:
                if mentions(here_text, exp):
                    errors.append("%r is in the text layer of page %d (an image question must not be)" % (exp, page))
                hits = [img for img, t in ocr(doc, page) if holds(t, exp)]
                if not hits:
                    errors.append("%r not in the OCR of any image on page %d" % (exp, page))
            for p in also:
                in_text = holds(pages[p - 1], exp)
                in_image = kind == "image" and any(holds(t, exp) for _, t in ocr(doc, p))
                if not (in_text or in_image):
                    errors.append("alsoOn page %d does not hold %r" % (p, exp))
            missing = [i + 1 for i, t in enumerate(pages) if i + 1 != page and i + 1 not in also and holds(t, exp)]
            if missing:
                errors.append("%r is also on pages %s: add them to alsoOn" % (exp, missing))
    if errors:
        failed += 1
        print("FAIL line %d: %s" % (n, "; ".join(errors)))
    else:
        passed += 1
        per_kind[kind] += 1
        per_doc[doc] += 1
        per_doc_kind[(doc, kind)] += 1
        print("ok   line %d: %-5s %s p.%d%s  %r" % (n, kind, doc, page,
                                                   " (+%s)" % ",".join(map(str, also)) if also else "", exp))

print()
print("per kind: " + ", ".join("%s %d" % (k, per_kind[k]) for k in KINDS))
for d in sorted(per_doc):
    print("  %-22s %3d  (%s)" % (d, per_doc[d], ", ".join("%s %d" % (k, per_doc_kind[(d, k)]) for k in KINDS)))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
