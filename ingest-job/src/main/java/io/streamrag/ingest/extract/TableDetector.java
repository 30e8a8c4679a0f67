package io.streamrag.ingest.extract;

import io.streamrag.ingest.records.PageTable;

import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.graphics.image.PDImage;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;
import org.apache.pdfbox.contentstream.PDFGraphicsStreamEngine;

import java.awt.geom.Point2D;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds tables on a PDF page from where its words sit: words grouped into lines, lines cut into cells at wide gaps
 * or at vertical ruling lines drawn on the page, runs of such lines with aligned columns taken as a table whose
 * first row is the header; horizontal rulings, when drawn, join the wrapped lines of one ruled row.
 */
public final class TableDetector {

    /** A gap between two words of a line at least this many ems wide separates two cells. */
    static final double CELL_GAP_EM = 1.0;
    /** Lines further apart than this many ems end a table. */
    static final double ROW_GAP_EM = 2.5;
    /** Cells of running text (two-column layouts) hold sentences; table cells hold a few words. */
    static final double MAX_WORDS_PER_CELL = 6.0;

    private TableDetector() {}

    /** A word and its box in page coordinates, x to the right and y downwards from the crop box's top left. */
    public record Word(String text, float x0, float x1, float baseline, float size) {}

    /**
     * A straight ruling line drawn on the page, in the same coordinates as {@link Word}.
     *
     * @param at x of a vertical rule, y of a horizontal one
     * @param from start of its extent along the rule (the smaller end)
     * @param to end of its extent along the rule
     */
    public record Rule(boolean vertical, float at, float from, float to) {
        public Rule {
            float start = Math.min(from, to);
            to = Math.max(from, to);
            from = start;
        }
    }

    /**
     * A page's text stripper that also keeps each word with its position, so tables cost no second text pass.
     * Drops a glyph drawn over the same glyph (fake bold, shadows) exactly as PDFBox's own
     * {@code suppressDuplicateOverlappingText} does, through {@link OverlapFilter} instead of PDFBox's boxed-float
     * tree maps, which took more than half of the stripper's time on text pages.
     */
    public static final class WordStripper extends PDFTextStripper {
        private final List<Word> words = new ArrayList<>();
        private final OverlapFilter overlaps = new OverlapFilter();
        /** Per open marked-content sequence: whether it carried /ActualText (PDFBox skips the overlap check inside one). */
        private final Deque<Boolean> markedContent = new ArrayDeque<>();
        private boolean inActualText;

        public WordStripper() {
            super.setSuppressDuplicateOverlappingText(false); // done by processTextPosition below
        }

        /** Words of the last page stripped (call {@link #getText} for one page at a time). */
        public List<Word> words() {
            return words;
        }

        @Override
        public void setSuppressDuplicateOverlappingText(boolean suppress) {
            overlaps.enabled = suppress;
        }

        @Override
        public boolean getSuppressDuplicateOverlappingText() {
            return overlaps.enabled;
        }

        @Override
        protected void startPage(PDPage page) throws IOException {
            words.clear();
            overlaps.clear();
            super.startPage(page);
        }

        @Override
        public void beginMarkedContentSequence(COSName tag, COSDictionary properties) {
            // Mirrors PDFTextStripper: the innermost sequence's /ActualText (or its absence) is what applies.
            inActualText = properties != null && properties.getString(COSName.ACTUAL_TEXT) != null;
            markedContent.push(inActualText);
            super.beginMarkedContentSequence(tag, properties);
        }

        @Override
        public void endMarkedContentSequence() {
            Boolean actualText = markedContent.peek();
            if (actualText != null) {
                if (actualText) {
                    inActualText = false;
                }
                markedContent.pop();
            }
            super.endMarkedContentSequence();
        }

        @Override
        protected void processTextPosition(TextPosition text) {
            if (!inActualText && overlaps.enabled && overlaps.seen(text.getUnicode(), text.getX(), text.getY(), text.getWidth())) {
                return;
            }
            super.processTextPosition(text);
        }

        @Override
        protected void writeString(String text, List<TextPosition> positions) throws IOException {
            if (!positions.isEmpty() && !text.isBlank()) {
                TextPosition first = positions.get(0);
                TextPosition last = positions.get(positions.size() - 1);
                float size = 0;
                for (TextPosition p : positions) {
                    size = Math.max(size, p.getFontSizeInPt() > 1.5f ? p.getFontSizeInPt() : p.getHeightDir() * 1.5f);
                }
                words.add(new Word(text.strip(), first.getXDirAdj(), last.getXDirAdj() + last.getWidthDirAdj(),
                        first.getYDirAdj(), Math.max(size, 1f)));
            }
            super.writeString(text, positions);
        }
    }

    /**
     * The glyphs shown so far on a page, per text: answers PDFBox's duplicate-overlap question (has the same text been
     * shown at x and y both within a third of the glyph's width, [v - tol, v + tol) as {@code TreeMap.subMap} takes
     * it, in {@link Float#compare} order) without boxing, and records the glyph when the answer is no. Throws where
     * PDFBox's {@code subMap}/{@code subSet} would (an inverted range).
     *
     * <p>Kept glyphs are indexed in a hash grid whose cells are four of their own tolerances wide, so a glyph's question
     * looks at the few cells around it, whatever the order of the glyphs. The earlier version scanned the whole line
     * of its text: 100,000 letters "a" on one line took 20 s, 400,000 took 200 s (documents review #5).
     */
    static final class OverlapFilter {
        boolean enabled = true;
        private final Map<String, Positions> shown = new HashMap<>();

        /**
         * Grid levels: a glyph is indexed at the binary exponent of its tolerance, clamped here so that cell numbers
         * of page-sized coordinates fit an int (a cell at the lowest level is 1/1024 pt wide).
         */
        private static final int MIN_LEVEL = -12;
        private static final int MAX_LEVEL = 120;
        /** Cell numbers are clamped to this: beyond it cells merge, which costs time, never an answer. */
        private static final double MAX_CELL = 1 << 30;

        /** The kept glyphs of one text, in showing order, and their grids (one per tolerance level in use). */
        private static final class Positions {
            float[] xs = new float[16];
            float[] ys = new float[16];
            /** Next glyph (index + 1) in the same grid cell, 0 at the end of the cell's chain. */
            int[] next = new int[16];
            int size;
            Level[] levels = new Level[0];
        }

        /** An open-addressing map from a cell (its two cell numbers packed in a long) to its chain of glyphs. */
        private static final class Level {
            final int exponent;
            final double cell;
            long[] keys = new long[16];
            /** First glyph (index + 1) of the cell's chain, 0 for an empty slot. */
            int[] heads = new int[16];
            int used;
            int glyphs;

            Level(int exponent) {
                this.exponent = exponent;
                this.cell = Math.scalb(1.0, exponent + 2);
            }

            long cellOf(float v) {
                return (long) Math.max(-MAX_CELL, Math.min(MAX_CELL, Math.floor(v / cell)));
            }

            int slot(long key) {
                long h = key * 0x9E3779B97F4A7C15L;
                int mask = keys.length - 1;
                int i = (int) (h ^ (h >>> 32)) & mask;
                while (heads[i] != 0 && keys[i] != key) {
                    i = (i + 1) & mask;
                }
                return i;
            }

            void add(Positions p, int index) {
                if (2 * (used + 1) > keys.length) {
                    long[] oldKeys = keys;
                    int[] oldHeads = heads;
                    keys = new long[oldKeys.length * 2];
                    heads = new int[oldKeys.length * 2];
                    for (int i = 0; i < oldKeys.length; i++) {
                        if (oldHeads[i] != 0) {
                            int s = slot(oldKeys[i]);
                            keys[s] = oldKeys[i];
                            heads[s] = oldHeads[i];
                        }
                    }
                }
                long key = cellOf(p.xs[index]) << 32 | (cellOf(p.ys[index]) & 0xFFFFFFFFL);
                int s = slot(key);
                if (heads[s] == 0) {
                    keys[s] = key;
                    used++;
                }
                p.next[index] = heads[s];
                heads[s] = index + 1;
                glyphs++;
            }

            /** Whether a glyph of this level lies in [xFrom, xTo) x [yFrom, yTo) (finite bounds). */
            boolean any(Positions p, float xFrom, float xTo, float yFrom, float yTo) {
                long cx0 = cellOf(xFrom);
                long cx1 = cellOf(xTo);
                long cy0 = cellOf(yFrom);
                long cy1 = cellOf(yTo);
                if ((double) (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > glyphs) {
                    // A question much wider than this level's glyphs: fewer glyphs than cells to look at.
                    for (int i = 0; i < heads.length; i++) {
                        if (chainHits(p, heads[i], xFrom, xTo, yFrom, yTo)) {
                            return true;
                        }
                    }
                    return false;
                }
                for (long cx = cx0; cx <= cx1; cx++) {
                    for (long cy = cy0; cy <= cy1; cy++) {
                        long key = cx << 32 | (cy & 0xFFFFFFFFL);
                        int s = slot(key);
                        if (heads[s] != 0 && chainHits(p, heads[s], xFrom, xTo, yFrom, yTo)) {
                            return true;
                        }
                    }
                }
                return false;
            }

            private static boolean chainHits(Positions p, int head, float xFrom, float xTo, float yFrom, float yTo) {
                for (int g = head; g != 0; g = p.next[g - 1]) {
                    if (within(p.xs[g - 1], xFrom, xTo) && within(p.ys[g - 1], yFrom, yTo)) {
                        return true;
                    }
                }
                return false;
            }
        }

        void clear() {
            shown.clear();
        }

        /** True when {@code text} overlaps an earlier glyph of the same text (drop it); else records it and returns false. */
        boolean seen(String text, float x, float y, float width) {
            float tolerance = width / text.length() / 3.0f;
            float xFrom = x - tolerance;
            float xTo = x + tolerance;
            if (Float.compare(xFrom, xTo) > 0) {
                throw new IllegalArgumentException("fromKey > toKey");
            }
            float yFrom = y - tolerance;
            float yTo = y + tolerance;
            Positions p = shown.computeIfAbsent(text, t -> new Positions());
            if (Float.compare(yFrom, yTo) > 0) {
                // PDFBox looks x up first and fails on the y range only when some glyph lies in the x range.
                for (int i = 0; i < p.size; i++) {
                    if (within(p.xs[i], xFrom, xTo)) {
                        throw new IllegalArgumentException("fromKey > toKey");
                    }
                }
            } else if (Float.isFinite(xFrom) && Float.isFinite(xTo) && Float.isFinite(yFrom) && Float.isFinite(yTo)) {
                // Finite bounds never take in a glyph at an infinite or NaN position, which the grids leave out.
                for (Level level : p.levels) {
                    if (level.any(p, xFrom, xTo, yFrom, yTo)) {
                        return true;
                    }
                }
            } else {
                for (int i = 0; i < p.size; i++) {
                    if (within(p.xs[i], xFrom, xTo) && within(p.ys[i], yFrom, yTo)) {
                        return true;
                    }
                }
            }
            add(p, x, y, tolerance);
            return false;
        }

        private static void add(Positions p, float x, float y, float tolerance) {
            if (p.size == p.xs.length) {
                p.xs = Arrays.copyOf(p.xs, p.size * 2);
                p.ys = Arrays.copyOf(p.ys, p.size * 2);
                p.next = Arrays.copyOf(p.next, p.size * 2);
            }
            int index = p.size++;
            p.xs[index] = x;
            p.ys[index] = y;
            if (!Float.isFinite(x) || !Float.isFinite(y)) {
                return;
            }
            // Glyphs kept at one level lie at least a tolerance of that level apart, so a cell holds only a few.
            int exponent = Math.max(MIN_LEVEL, Math.min(MAX_LEVEL, Math.getExponent(tolerance)));
            Level level = null;
            for (Level l : p.levels) {
                if (l.exponent == exponent) {
                    level = l;
                    break;
                }
            }
            if (level == null) {
                level = new Level(exponent);
                p.levels = Arrays.copyOf(p.levels, p.levels.length + 1);
                p.levels[p.levels.length - 1] = level;
            }
            level.add(p, index);
        }

        /** Whether {@code v} lies in [from, to) in {@link Float#compare} order, as {@code TreeMap.subMap} takes it. */
        private static boolean within(float v, float from, float to) {
            return Float.compare(v, from) >= 0 && Float.compare(v, to) < 0;
        }
    }

    /** Collects the straight lines a page strokes (and thin filled rectangles, as LaTeX draws its rules). */
    public static final class RuleCollector extends PDFGraphicsStreamEngine {
        private final List<Rule> rules = new ArrayList<>();
        private final List<float[]> segments = new ArrayList<>();
        private final float top;
        private final float left;
        private Point2D.Float current = new Point2D.Float();
        private Point2D.Float start;

        public RuleCollector(PDPage page) {
            super(page);
            PDRectangle box = page.getCropBox();
            top = box.getUpperRightY();
            left = box.getLowerLeftX();
        }

        /** The page's ruling lines (runs the page's content stream once). */
        public List<Rule> rules() throws IOException {
            processPage(getPage());
            return rules;
        }

        @Override
        public void appendRectangle(Point2D p0, Point2D p1, Point2D p2, Point2D p3) {
            segments.add(new float[] {(float) p0.getX(), (float) p0.getY(), (float) p1.getX(), (float) p1.getY(), 1});
            segments.add(new float[] {(float) p1.getX(), (float) p1.getY(), (float) p2.getX(), (float) p2.getY(), 1});
            segments.add(new float[] {(float) p2.getX(), (float) p2.getY(), (float) p3.getX(), (float) p3.getY(), 1});
            segments.add(new float[] {(float) p3.getX(), (float) p3.getY(), (float) p0.getX(), (float) p0.getY(), 1});
            current = new Point2D.Float((float) p0.getX(), (float) p0.getY());
        }

        @Override
        public void moveTo(float x, float y) {
            current = new Point2D.Float(x, y);
            start = current;
        }

        @Override
        public void lineTo(float x, float y) {
            segments.add(new float[] {current.x, current.y, x, y, 0});
            current = new Point2D.Float(x, y);
        }

        @Override
        public void curveTo(float x1, float y1, float x2, float y2, float x3, float y3) {
            current = new Point2D.Float(x3, y3);
        }

        @Override
        public Point2D getCurrentPoint() {
            return current;
        }

        @Override
        public void closePath() {
            if (start != null) {
                lineTo(start.x, start.y);
            }
        }

        @Override
        public void endPath() {
            segments.clear();
        }

        @Override
        public void strokePath() {
            for (float[] s : segments) {
                add(s[0], s[1], s[2], s[3]);
            }
            segments.clear();
        }

        @Override
        public void fillPath(int windingRule) {
            // A filled rectangle thinner than 2.5 pt is a rule; other filled shapes are not.
            for (int i = 0; i + 3 < segments.size(); i++) {
                if (segments.get(i)[4] == 1 && segments.get(i + 3)[4] == 1) {
                    float[] a = segments.get(i);
                    float[] c = segments.get(i + 2);
                    float w = Math.abs(c[0] - a[0]);
                    float h = Math.abs(c[1] - a[1]);
                    if (h <= 2.5f && w > 5) {
                        add(Math.min(a[0], c[0]), (a[1] + c[1]) / 2, Math.max(a[0], c[0]), (a[1] + c[1]) / 2);
                    } else if (w <= 2.5f && h > 5) {
                        add((a[0] + c[0]) / 2, Math.min(a[1], c[1]), (a[0] + c[0]) / 2, Math.max(a[1], c[1]));
                    }
                    i += 3;
                }
            }
            segments.clear();
        }

        @Override
        public void fillAndStrokePath(int windingRule) {
            strokePath();
        }

        @Override
        public void clip(int windingRule) {
            // The path is still ended (and cleared) by the operator that follows.
        }

        @Override
        protected void showText(byte[] string) {
            // Glyphs are not rules, and the text stripper already read them: skipping them spares decoding every
            // glyph of the page a second time (the bulk of this pass on a text page).
        }

        @Override
        public void drawImage(PDImage pdImage) {
            // Images are not rules.
        }

        @Override
        public void shadingFill(COSName shadingName) {
            // Shadings are not rules.
        }

        private void add(float x0, float y0, float x1, float y1) {
            if (Math.abs(x0 - x1) < 1 && Math.abs(y0 - y1) > 5) {
                rules.add(new Rule(true, (x0 + x1) / 2 - left, top - y0, top - y1));
            } else if (Math.abs(y0 - y1) < 1 && Math.abs(x0 - x1) > 5) {
                rules.add(new Rule(false, top - (y0 + y1) / 2, x0 - left, x1 - left));
            }
        }
    }

    /** A cell of one line: consecutive words with no wide gap or rule between them. */
    private static final class Cell {
        float x0;
        float x1;
        final StringBuilder text = new StringBuilder();
        int words;
    }

    /** A line of words sharing a baseline, cut into cells. */
    private static final class Line {
        final List<Word> words = new ArrayList<>();
        final List<Cell> cells = new ArrayList<>();
        float baseline;
        float size;
        boolean ruled;
    }

    /** The tables of one page, top to bottom. */
    public static List<PageTable> detect(int page, List<Word> words, List<Rule> rules) {
        List<Rule> verticals = new ArrayList<>();
        List<Rule> horizontals = new ArrayList<>();
        for (Rule r : rules) {
            (r.vertical() ? verticals : horizontals).add(r);
        }
        List<Line> lines = lines(words);
        for (Line line : lines) {
            cut(line, verticals);
        }
        List<PageTable> out = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            if (!tabular(lines.get(i))) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < lines.size() && tabular(lines.get(j))
                    && lines.get(j).baseline - lines.get(j - 1).baseline <= ROW_GAP_EM * lines.get(j - 1).size) {
                j++;
            }
            PageTable t = table(page, lines.subList(i, j), verticals, horizontals);
            if (t != null) {
                out.add(t);
            }
            i = j;
        }
        return out;
    }

    private static List<Line> lines(List<Word> words) {
        List<Word> sorted = new ArrayList<>(words);
        sorted.sort(Comparator.comparingDouble((Word w) -> w.baseline()).thenComparingDouble(w -> w.x0()));
        List<Line> lines = new ArrayList<>();
        Line line = null;
        for (Word w : sorted) {
            if (line == null || Math.abs(w.baseline() - line.baseline) > 0.4 * Math.min(w.size(), line.size)) {
                line = new Line();
                line.baseline = w.baseline();
                line.size = w.size();
                lines.add(line);
            }
            line.words.add(w);
            line.size = Math.max(line.size, w.size());
        }
        for (Line l : lines) {
            l.words.sort(Comparator.comparingDouble(w -> w.x0()));
        }
        return lines;
    }

    /** Cuts a line into cells at gaps of at least {@link #CELL_GAP_EM} and at vertical rules crossing it. */
    private static void cut(Line line, List<Rule> verticals) {
        float mid = line.baseline - line.size * 0.3f;
        List<Rule> crossing = new ArrayList<>();
        for (Rule r : verticals) {
            if (r.from() <= mid && r.to() >= mid) {
                crossing.add(r);
            }
        }
        line.ruled = crossing.size() >= 2;
        Cell cell = null;
        Word prev = null;
        for (Word w : line.words) {
            boolean split = prev == null || w.x0() - prev.x1() >= CELL_GAP_EM * Math.min(w.size(), prev.size());
            for (Rule r : crossing) {
                if (prev != null && r.at() >= prev.x1() - 0.5f && r.at() <= w.x0() + 0.5f) {
                    split = true;
                }
            }
            if (split) {
                cell = new Cell();
                cell.x0 = w.x0();
                line.cells.add(cell);
            } else {
                cell.text.append(' ');
            }
            cell.text.append(w.text());
            cell.x1 = w.x1();
            cell.words++;
            prev = w;
        }
    }

    private static boolean tabular(Line line) {
        return line.cells.size() >= 2 || line.ruled;
    }

    /** Columns, rows and header of a run of tabular lines, or null when it does not look like a table. */
    private static PageTable table(int page, List<Line> block, List<Rule> verticals, List<Rule> horizontals) {
        float top = block.get(0).baseline - block.get(0).size;
        float bottom = block.get(block.size() - 1).baseline + block.get(block.size() - 1).size * 0.3f;
        boolean ruled = block.stream().filter(l -> l.ruled).count() * 2 >= block.size();
        List<float[]> bands = new ArrayList<>();
        if (ruled) {
            List<Float> xs = new ArrayList<>();
            for (Rule r : verticals) {
                if (r.from() <= bottom && r.to() >= top) {
                    xs.add(r.at());
                }
            }
            xs.sort(Float::compare);
            float last = -Float.MAX_VALUE;
            for (float x : xs) {
                if (x - last > 2) {
                    bands.add(new float[] {last, x});
                    last = x;
                }
            }
            bands.add(new float[] {last, Float.MAX_VALUE});
        } else {
            List<Cell> cells = new ArrayList<>();
            block.forEach(l -> cells.addAll(l.cells));
            cells.sort(Comparator.comparingDouble(c -> c.x0));
            for (Cell c : cells) {
                float[] band = bands.isEmpty() ? null : bands.get(bands.size() - 1);
                if (band != null && c.x0 < band[1]) {
                    band[1] = Math.max(band[1], c.x1);
                } else {
                    bands.add(new float[] {c.x0, c.x1});
                }
            }
        }
        // Rows: one per line, except that a line leaving the first column empty continues the row above (a wrapped
        // cell) unless a horizontal rule runs between the two.
        List<Float> cuts = new ArrayList<>();
        for (Rule r : horizontals) {
            if (r.at() > top - 2 && r.at() < bottom + 2) {
                cuts.add(r.at());
            }
        }
        int firstBand = Integer.MAX_VALUE;
        for (Line line : block) {
            for (Cell c : line.cells) {
                firstBand = Math.min(firstBand, band(bands, (c.x0 + c.x1) / 2));
            }
        }
        List<String[]> rows = new ArrayList<>();
        Line previous = null;
        for (Line line : block) {
            boolean continues = previous != null && rows.size() > 1
                    && band(bands, (line.cells.get(0).x0 + line.cells.get(0).x1) / 2) > firstBand
                    && !ruleBetween(cuts, previous.baseline, line.baseline);
            String[] row = continues ? rows.get(rows.size() - 1) : new String[bands.size()];
            if (!continues) {
                rows.add(row);
            }
            for (Cell c : line.cells) {
                int b = band(bands, (c.x0 + c.x1) / 2);
                row[b] = row[b] == null ? c.text.toString() : row[b] + " " + c.text;
            }
            previous = line;
        }
        // Columns no row fills are gaps between rules, not columns.
        List<Integer> used = new ArrayList<>();
        for (int b = 0; b < bands.size(); b++) {
            for (String[] row : rows) {
                if (row[b] != null && !row[b].isBlank()) {
                    used.add(b);
                    break;
                }
            }
        }
        if (used.size() < 2 || rows.size() < (ruled ? 2 : 3)) {
            return null;
        }
        PageTable t = new PageTable(page, ruled);
        int filled = 0;
        int words = 0;
        for (int r = 0; r < rows.size(); r++) {
            ArrayList<String> cells = new ArrayList<>();
            for (int b : used) {
                String cell = rows.get(r)[b] == null ? "" : rows.get(r)[b].strip();
                cells.add(cell);
                if (!cell.isEmpty()) {
                    filled++;
                    words += cell.split("\\s+").length;
                }
            }
            if (r == 0) {
                t.header = cells;
            } else {
                t.rows.add(cells);
            }
        }
        long headerCells = t.header.stream().filter(h -> h.matches(".*\\p{L}.*")).count();
        boolean numericHeader = t.header.stream().anyMatch(h -> !h.isEmpty() && !h.matches(".*\\p{L}.*"));
        if (headerCells < 2 || numericHeader || filled * 2 < rows.size() * used.size()
                || (double) words / filled > MAX_WORDS_PER_CELL) {
            return null;
        }
        for (int c = 0; c < t.header.size(); c++) {
            if (t.header.get(c).isEmpty()) {
                t.header.set(c, "Column " + (c + 1));
            }
        }
        return t;
    }

    private static boolean ruleBetween(List<Float> cuts, float above, float below) {
        for (float c : cuts) {
            if (c > above && c < below) {
                return true;
            }
        }
        return false;
    }

    private static int band(List<float[]> bands, float x) {
        int best = 0;
        double bestDistance = Double.MAX_VALUE;
        for (int b = 0; b < bands.size(); b++) {
            float[] band = bands.get(b);
            double d = x < band[0] ? band[0] - x : x > band[1] ? x - band[1] : 0;
            if (d < bestDistance) {
                bestDistance = d;
                best = b;
            }
        }
        return best;
    }
}
