package io.streamrag.ingest.extract;

import io.streamrag.common.records.Chunk;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.records.PageTable;
import io.streamrag.ingest.records.PageText;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Structure-aware, token-bounded chunking: paragraphs are packed into chunks of at most {@code maxTokens}
 * (words x 1.3), a heading starts a new chunk (and becomes its section), consecutive chunks of a section overlap
 * by {@code overlapTokens}, and each chunk records the pages it starts and ends on and where in its text each
 * later page begins. Running headers and footers lose their page numbers ({@link RunningLines}). Image text becomes separate
 * {@code image} chunks on its page, led by the page's figure captions; each table becomes {@code table} chunks of whole rows, every chunk starting with
 * the header and every row written as {@code header: value} pairs (see {@link #tableRow}), so a cell keeps its
 * column's name and its row's. Same input, same chunks, same ids.
 */
public class Chunker implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Tokens per whitespace-separated word, a stable approximation of a BERT/GPT tokeniser on English. */
    public static final double TOKENS_PER_WORD = 1.3;

    /** Longest run of characters without white space kept as one word; longer ones are cut (see {@link Pieces}). */
    static final int MAX_WORD_CHARS = 256;
    /**
     * Most characters of a script written without spaces (Chinese, Japanese, Thai, ...) in one piece of a run.
     * Tokenisers give such a character about a token of its own, so a piece weighs its characters in words (at
     * {@link #TOKENS_PER_WORD}): counted as one word, a chunk of Chinese held ~50,000 characters, most of it past the
     * embedding model's window and all of it in every prompt that cited it.
     */
    static final int MAX_DENSE_PIECE_CHARS = 16;
    /** Longest title or section heading, repeated in every chunk (a PDF's /Title, a Markdown heading can be any length). */
    static final int MAX_TITLE_CHARS = 1024;
    /**
     * A Markdown ATX heading; its closing {@code #}s are taken off in {@link #headingText}, not by the pattern: a lazy
     * text followed by {@code \\s*#*\\s*$} backtracked cubically on a line of spaces ({@code "# a" + 30,000 spaces +
     * "b"} ran for hours on the task thread). The white space after the hashes is taken possessively: {@code .+} could
     * take it back, so "#", 80,000 spaces and a character neither matches (U+2028, U+0085) tried every split of the
     * spaces between the two (16 s).
     */
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s++(.+)$");
    /**
     * A caption's start: "Figure 2.4:", "Fig. 3.", "Figure 5.1a:" (capitalised, so "figure 1.2 shows" is not one). The
     * number is a run of digits, dots and dashes that starts and ends with a digit and has no two separators in a row,
     * checked by a lookahead and a lookbehind instead of a repeated group: Java's regex engine recurses once per
     * repetition of a group, and {@code \d+(?:[.-]\d+)*} overflowed a 1 MB task thread stack on "Figure 1-1-1..."
     * of 3,000 parts (ChunkerTest checks that both patterns decide alike).
     */
    static final Pattern CAPTION = Pattern.compile(
            "(?:Figure|Fig\\.)\\s*(?![\\d.-]*[.-][.-])\\d[\\d.-]*(?<=\\d)[a-z]?\\s*[:.]\\s+\\S");
    /** Characters of a line a caption's start is looked for in: bounds the pattern's work on any line. */
    static final int CAPTION_SCAN_CHARS = 256;
    /** A wrapped caption's next line starts in lower case. */
    private static final Pattern CONTINUATION = Pattern.compile("\\p{Ll}");
    /** Longest caption kept: a caption names a figure; longer text is running text glued to it. */
    static final int CAPTION_MAX_WORDS = 30;

    /** Longest header cell repeated in each row of its table (column names are short; a glyph can map to long text). */
    static final int MAX_HEADER_CELL_CHARS = 80;

    private final int maxWords;
    private final int overlapWords;
    private final int pageBreakMinWords;
    private final int maxChunks;

    public Chunker(int maxTokens, int overlapTokens) {
        this(maxTokens, overlapTokens, 64);
    }

    /**
     * @param pageBreakMinTokens a page boundary closes the current chunk once it holds this many tokens, so
     *     citations point at the right page; shorter pages (title, figure pages) run on into the next one.
     */
    public Chunker(int maxTokens, int overlapTokens, int pageBreakMinTokens) {
        this(maxTokens, overlapTokens, pageBreakMinTokens, Integer.MAX_VALUE);
    }

    /** @param maxChunks chunks one document may make: past them {@link TooManyChunks} ends its chunking. */
    public Chunker(int maxTokens, int overlapTokens, int pageBreakMinTokens, int maxChunks) {
        this.maxChunks = maxChunks;
        this.maxWords = Math.max(8, (int) Math.floor(maxTokens / TOKENS_PER_WORD));
        this.overlapWords = Math.max(0, Math.min(maxWords / 2, (int) Math.floor(overlapTokens / TOKENS_PER_WORD)));
        this.pageBreakMinWords = Math.max(0, (int) Math.floor(pageBreakMinTokens / TOKENS_PER_WORD));
    }

    public int maxWords() {
        return maxWords;
    }

    public int overlapWords() {
        return overlapWords;
    }

    /** One word (or piece of a long run) and where it came from. */
    private static final class Word {
        final String text;
        final int page;
        final int block;
        /** What it counts against a chunk's {@code maxWords}: 1 for a word, more for a piece of dense script. */
        final int weight;
        /** A later piece of a run cut by {@link Pieces}: joined to the one before it without a space. */
        final boolean glued;

        Word(String text, int page, int block, int weight, boolean glued) {
            this.text = text;
            this.page = page;
            this.block = block;
            this.weight = weight;
            this.glued = glued;
        }
    }

    /**
     * A text's words in order, one piece at a time: runs without white space cut into bounded pieces (never inside a
     * character), words of control characters only left out (blank to the embedding model: a chunk of only these
     * failed its document). Words are those of {@code text.strip().split("\\s+")}, found by index: a list of a whole
     * paragraph's pieces took ~80 bytes of heap per word (10 MB of "a " in one paragraph exhausted a 256 MB heap), this
     * takes none beyond the piece asked for.
     */
    private static final class Pieces {
        private final CharSequence text;
        /** End of the text without its trailing white space (as {@link String#strip()}). */
        private final int end;
        /** Where the next word is looked for. */
        private int at;
        private int wordStart;
        private int wordEnd;
        /** The current piece is [pieceStart, next); the next one starts at {@code next}. */
        private int pieceStart;
        private int next;
        /** The current piece's weight against {@code maxWords}. */
        int weight;
        /** The current piece continues the one before it (a run cut into pieces): joined without a space. */
        boolean glued;

        Pieces(CharSequence text) {
            int from = 0;
            int to = text.length();
            // White space by Character.isWhitespace, as strip() (a surrogate is never white space).
            while (from < to && Character.isWhitespace(text.charAt(from))) {
                from++;
            }
            while (to > from && Character.isWhitespace(text.charAt(to - 1))) {
                to--;
            }
            this.text = text;
            this.end = to;
            this.at = from;
            this.wordEnd = from;
            this.next = from;
        }

        /** Moves to the next piece; false when the text has no more. */
        boolean next() {
            while (next >= wordEnd) {
                if (!nextWord()) {
                    return false;
                }
            }
            // A piece ends at MAX_WORD_CHARS characters or MAX_DENSE_PIECE_CHARS dense ones, never inside a character.
            int from = next;
            int to = from;
            int dense = 0;
            while (to < wordEnd && dense < MAX_DENSE_PIECE_CHARS) {
                int cp = codePointAt(to);
                if (to + Character.charCount(cp) - from > MAX_WORD_CHARS) {
                    break;
                }
                dense += isDense(cp) ? 1 : 0;
                to += Character.charCount(cp);
            }
            pieceStart = from;
            next = to;
            weight = Math.max(1, (int) Math.ceil(dense / TOKENS_PER_WORD));
            glued = from > wordStart;
            return true;
        }

        /** The current piece's text. */
        String piece() {
            return text.subSequence(pieceStart, next).toString();
        }

        /** The next word that is not all control characters; words are separated by regex {@code \s} (ASCII white space) only. */
        private boolean nextWord() {
            while (true) {
                while (at < end && isSeparator(text.charAt(at))) {
                    at++;
                }
                if (at >= end) {
                    return false;
                }
                int start = at;
                boolean control = true;
                for (; at < end && !isSeparator(text.charAt(at)); at++) {
                    control &= Character.isISOControl(text.charAt(at));
                }
                if (!control) {
                    wordStart = start;
                    wordEnd = at;
                    next = start;
                    return true;
                }
            }
        }

        /** As {@link String#codePointAt} on the word: a surrogate pair only within it. */
        private int codePointAt(int i) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < wordEnd && Character.isLowSurrogate(text.charAt(i + 1))) {
                return Character.toCodePoint(c, text.charAt(i + 1));
            }
            return c;
        }

        private static boolean isSeparator(char c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
        }
    }

    /** Whether a character belongs to a script written without spaces between words. */
    private static boolean isDense(int codePoint) {
        switch (Character.UnicodeScript.of(codePoint)) {
            case HAN: case HIRAGANA: case KATAKANA: case THAI: case LAO: case KHMER: case MYANMAR: case TIBETAN:
                return true;
            default:
                return false;
        }
    }

    /** The words a text counts against a chunk's budget. */
    private static int weightOf(CharSequence text) {
        return weightOf(text, Integer.MAX_VALUE);
    }

    /** As {@link #weightOf(CharSequence)} up to {@code limit}: past it, some weight above {@code limit}. */
    private static int weightOf(CharSequence text, int limit) {
        int total = 0;
        for (Pieces p = new Pieces(text); total <= limit && p.next(); ) {
            total += p.weight;
        }
        return total;
    }

    /**
     * Chunks a document: text chunks in reading order, then image chunks, then table chunks in page order (tables
     * last, so the ids of the other chunks stay what they were before tables were detected).
     */
    public List<Chunk> chunk(DocumentTask task, ExtractedDocument doc) {
        List<Chunk> out = new ArrayList<>();
        Builder b = new Builder(task, doc, out, "text");
        Map<Integer, String> sectionOfPage = new HashMap<>();
        int block = 0;
        List<PageText> pages = RunningLines.strip(doc.pages);
        for (PageText page : pages) {
            if (b.fresh >= pageBreakMinWords) {
                b.flush(false); // no overlap across the break: the next chunk starts on its own page
            }
            for (String para : page.text.split("\\n\\s*\\n")) {
                if (para.isBlank()) {
                    continue;
                }
                block++;
                // A heading may be glued to the lines around it by single newlines: split it off.
                StringBuilder body = new StringBuilder();
                for (String line : para.split("\\n")) {
                    Matcher m = HEADING.matcher(line.strip());
                    if (m.matches()) {
                        if (body.length() > 0) {
                            b.add(body, page.page, block++);
                            body.setLength(0);
                        }
                        // A heading closes the current chunk: chunks never straddle sections.
                        b.flush(false);
                        // Clipped: every chunk of the section carries it (a 300 KB heading made 600 KB chunks).
                        b.section = clip(headingText(m.group(2)));
                        if (b.title == null) {
                            b.title = b.section;
                        }
                        b.add(line.strip(), page.page, block++);
                    } else {
                        body.append(line).append('\n');
                    }
                }
                if (body.length() > 0) {
                    b.add(body, page.page, block);
                }
            }
            sectionOfPage.put(page.page, b.section);
        }
        b.flush(false);
        // Captions only of the pages with image text: no one reads the others.
        Map<Integer, String> captionsOfPage = new HashMap<>();
        for (PageImage image : doc.images) {
            if (image.text != null && !image.text.isBlank()) {
                captionsOfPage.put(image.page, "");
            }
        }
        for (PageText page : pages) {
            if (captionsOfPage.containsKey(page.page)) {
                captionsOfPage.put(page.page, captions(page.text));
            }
        }
        for (PageImage image : doc.images) {
            if (image.text == null || image.text.isBlank()) {
                continue;
            }
            Builder ib = new Builder(task, doc, out, "image");
            ib.title = b.title;
            ib.section = sectionOfPage.get(image.page);
            // OCR of a screenshot or plot is readouts without the words a question uses to name the figure; the
            // page's captions give the chunk those words (for search and for the answer's context).
            String captions = captionsOfPage.getOrDefault(image.page, "");
            if (!captions.isEmpty()) {
                ib.add(captions, image.page, 0);
            }
            ib.add(image.text, image.page, captions.isEmpty() ? 0 : 1);
            ib.flush(false);
        }
        for (PageTable table : doc.tables) {
            Builder tb = new Builder(task, doc, out, "table");
            tb.title = b.title;
            tb.section = sectionOfPage.get(table.page);
            // Once per table, not per row: each row names its cells' columns.
            List<String> names = headers(table.header);
            String header = String.join(" | ", names) + ";";
            int headerWords = weightOf(header);
            int row = 0;
            for (List<String> cells : table.rows) {
                String line = row(names, cells);
                if (line.isEmpty()) {
                    continue;
                }
                if (tb.fresh > 0 && tb.size + weightOf(line) > maxWords) {
                    tb.flush(false);
                }
                if (tb.fresh == 0) {
                    tb.add(header, table.page, 0);
                }
                tb.add(line, table.page, ++row);
            }
            if (tb.fresh > headerWords) {
                tb.flush(false);
            }
        }
        return out;
    }

    /**
     * The figure captions of a page's text ({@code Figure 2.4: ...}, {@code Fig. 3 ...} at the start of a line, with
     * the lower-case continuation lines of a wrapped caption), one per line, at most {@link #CAPTION_MAX_WORDS}
     * words each; empty when the page has none.
     */
    static String captions(String pageText) {
        if (pageText == null) {
            return "";
        }
        String[] lines = pageText.split("\n");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            // A real caption's start ("Figure 12.3a: T") is a few characters into its line; a line only matches as
            // far as it is scanned, so longer lines cost no more than a short one.
            if (!CAPTION.matcher(line.length() > CAPTION_SCAN_CHARS ? line.substring(0, CAPTION_SCAN_CHARS) : line).lookingAt()) {
                continue;
            }
            StringBuilder caption = new StringBuilder(lines[i].strip());
            for (int j = i + 1; j < lines.length && j <= i + 2 && CONTINUATION.matcher(lines[j].strip()).lookingAt(); j++) {
                caption.append(' ').append(lines[j].strip());
            }
            String[] words = caption.toString().split("\\s+");
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(String.join(" ", Arrays.asList(words).subList(0, Math.min(CAPTION_MAX_WORDS, words.length))));
        }
        return out.toString();
    }

    /**
     * One table row as {@code header: value} pairs joined by {@code " | "} and ended by {@code ";"}: prompts put a
     * source on one line, so the row keeps its end and every value its column's name; empty cells are left out.
     */
    public static String tableRow(List<String> header, List<String> cells) {
        return row(headers(header), cells);
    }

    private static String row(List<String> h, List<String> cells) {
        List<String> v = cells(cells);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.size(); i++) {
            if (v.get(i).isEmpty()) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(" | ");
            }
            sb.append(i < h.size() ? h.get(i) : "Column " + (i + 1)).append(": ").append(v.get(i));
        }
        return sb.length() == 0 ? "" : sb.append(';').toString();
    }

    /**
     * Header cells as cells, without a trailing colon ("Architecture:" would read "Architecture:: any"), each at most
     * {@link #MAX_HEADER_CELL_CHARS}: every row repeats them (a 10,000-character header over 10,000 rows made 127 MB).
     */
    private static List<String> headers(List<String> header) {
        List<String> out = new ArrayList<>();
        for (String h : cells(header)) {
            // By hand: the pattern \s*:+$ backtracked quadratically on a run of colons inside a cell, once per row
            // (a header of 20,000 colons and a letter, 160 rows: 222 s on the task thread).
            int end = h.length();
            while (end > 0 && h.charAt(end - 1) == ':') {
                end--;
            }
            if (end < h.length()) {
                while (end > 0 && Character.isWhitespace(h.charAt(end - 1))) {
                    end--;
                }
            }
            out.add(clip(h.substring(0, end), MAX_HEADER_CELL_CHARS));
        }
        return out;
    }

    /** Cells with our separators ({@code |}, {@code ;}) and whitespace runs defused. */
    private static List<String> cells(List<String> cells) {
        List<String> out = new ArrayList<>();
        for (String c : cells) {
            out.add(c == null ? "" : c.replace('|', '/').replace(';', ',').replaceAll("\\s+", " ").strip());
        }
        return out;
    }

    /**
     * Packs words into chunks for one kind; {@code size} is the weight of {@code words}, {@code fresh} the weight of
     * those not yet emitted in any chunk.
     */
    private final class Builder {
        final DocumentTask task;
        final ExtractedDocument doc;
        final List<Chunk> out;
        final String kind;
        String title;
        String section;
        List<Word> words = new ArrayList<>();
        int size;
        int fresh;

        Builder(DocumentTask task, ExtractedDocument doc, List<Chunk> out, String kind) {
            this.task = task;
            this.doc = doc;
            this.out = out;
            this.kind = kind;
            this.title = clip(task.title != null ? task.title : doc.title);
        }

        void add(CharSequence text, int page, int block) {
            // Keep a paragraph whole when it fits into the next chunk but not into this one. Its weight is counted only
            // as far as that decision needs (past both bounds it is no): a paragraph may have millions of words.
            if (fresh > 0) {
                int weight = weightOf(text, Math.max(maxWords - overlapWords, maxWords - size));
                if (size + weight > maxWords && weight <= maxWords - overlapWords) {
                    flush(true);
                }
            }
            for (Pieces p = new Pieces(text); p.next(); ) {
                if (fresh > 0 && size + p.weight > maxWords) {
                    flush(true);
                }
                words.add(new Word(p.piece(), page, block, p.weight, p.glued));
                size += p.weight;
                fresh += p.weight;
            }
        }

        void flush(boolean keepOverlap) {
            if (fresh == 0) {
                if (!keepOverlap) {
                    words.clear();
                    size = 0;
                }
                return;
            }
            emit();
            fresh = 0;
            int from = words.size();
            int kept = 0;
            while (keepOverlap && from > 0 && kept + words.get(from - 1).weight <= overlapWords) {
                kept += words.get(--from).weight;
            }
            words = new ArrayList<>(words.subList(from, words.size()));
            size = kept;
        }

        private void emit() {
            if (out.size() >= maxChunks) {
                // Stops at once, before the chunk is built: each chunk costs an embedding and an index entry, and "# a"
                // lines made one per 4 bytes.
                throw new TooManyChunks(maxChunks);
            }
            StringBuilder sb = new StringBuilder();
            int lastBlock = words.get(0).block;
            int lastPage = words.get(0).page;
            List<Integer> breaks = new ArrayList<>();
            for (Word w : words) {
                if (sb.length() > 0 && !w.glued) {
                    sb.append(w.block != lastBlock ? "\n" : " ");
                }
                for (; lastPage < w.page; lastPage++) {
                    breaks.add(sb.length());
                }
                sb.append(w.text);
                lastBlock = w.block;
            }
            Chunk c = new Chunk();
            c.chunkIndex = out.size();
            c.documentId = task.documentId;
            c.version = task.version;
            c.chunkId = Chunk.id(task.tenant, task.documentId, task.version, c.chunkIndex);
            c.tenant = task.tenant;
            c.page = words.get(0).page;
            c.pageEnd = words.get(words.size() - 1).page;
            c.pageBreaks = breaks.stream().mapToInt(Integer::intValue).toArray();
            c.kind = kind;
            c.title = title;
            c.section = section;
            c.text = sb.toString();
            c.contentType = doc.contentType;
            c.uri = task.uri;
            c.eventTime = task.eventTime;
            out.add(c);
        }
    }

    /** Approximate token count of a text, as the chunker counts them. */
    public static int approxTokens(String text) {
        return (int) Math.ceil(weightOf(text) * TOKENS_PER_WORD);
    }

    /** {@code t} cut to {@link #MAX_TITLE_CHARS}, a character never cut in two. */
    static String clip(String t) {
        return clip(t, MAX_TITLE_CHARS);
    }

    private static String clip(String t, int max) {
        return t == null || t.length() <= max ? t : t.substring(0, Character.isHighSurrogate(t.charAt(max - 1)) ? max - 1 : max);
    }

    /** A document that would make more chunks than the chunker allows. */
    public static final class TooManyChunks extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooManyChunks(int max) {
            super("The document makes more than " + max + " chunks");
        }
    }

    /** A heading's text without its optional closing sequence of {@code #}s and the white space around it. */
    static String headingText(String rest) {
        int end = rest.length();
        while (end > 0 && (rest.charAt(end - 1) == '#' || Character.isWhitespace(rest.charAt(end - 1)))) {
            end--;
        }
        String text = rest.substring(0, end).strip();
        return text.isEmpty() ? rest.strip() : text;
    }
}
