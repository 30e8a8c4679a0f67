package io.streamrag.ingest.extract;

import io.streamrag.ingest.records.PageTable;

import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.contentstream.operator.OperatorProcessor;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
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
        /**
         * More glyphs than this on one page refuse the document (LimitExceeded). A dense A4 page shows 5,000 to 10,000;
         * this leaves room for 20 times that (tiny print, fake bold drawing each glyph three times) while keeping a
         * page's TextPositions, words and overlap index to some 100 MB: 5 million glyphs on one page (18 KB of PDF)
         * exhausted a 1 GB heap (documents review #4).
         */
        public static final int MAX_GLYPHS_PER_PAGE = 200_000;

        private final List<Word> words = new ArrayList<>();
        private final PageBudget budget;
        private int glyphs;
        private final OverlapFilter overlaps = new OverlapFilter();
        /** Per open marked-content sequence: whether it carried /ActualText (PDFBox skips the overlap check inside one). */
        private final Deque<Boolean> markedContent = new ArrayDeque<>();
        private boolean inActualText;

        /** A stripper with no deadline (tests, tools). */
        public WordStripper() {
            this(new PageBudget(Long.MAX_VALUE));
        }

        /** A stripper that aborts a page past {@code budget}'s deadline (checked per operator and per glyph). */
        public WordStripper(PageBudget budget) {
            this.budget = budget;
            super.setSuppressDuplicateOverlappingText(false); // done by processTextPosition below
        }

        /** The deadline this stripper checks, for the page's other passes ({@link RuleCollector}). */
        public PageBudget budget() {
            return budget;
        }

        /**
         * The text of page {@code page} (1-based; {@link #words} then holds its words): LimitExceeded past
         * {@link #MAX_GLYPHS_PER_PAGE}, ExtractionTimeout past the budget's deadline.
         */
        public String pageText(PDDocument doc, int page) throws IOException, DocumentException {
            setStartPage(page);
            setEndPage(page);
            return PageBudget.run(() -> getText(doc));
        }

        @Override
        protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
            budget.tick(); // forms drawn inside forms run here too: 10^8 of them took more than 10 minutes (review #6)
            super.processOperator(operator, operands);
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
            glyphs = 0;
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
            // Counted before the overlap check: dropped duplicates cost time too. One Tj can show millions of glyphs.
            if (++glyphs > MAX_GLYPHS_PER_PAGE) {
                throw PageBudget.limitExceeded("Page " + getCurrentPageNo() + " shows more than " + MAX_GLYPHS_PER_PAGE
                        + " glyphs (TableDetector.WordStripper.MAX_GLYPHS_PER_PAGE)");
            }
            budget.tick();
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
        /**
         * A path of more segments than this, or more rules than {@link #MAX_RULES} on a page, stops the collector and
         * the page gets no tables (they are optional; its text is kept): 6 million unpainted rectangles (129 KB of
         * PDF) exhausted a 1 GB heap (documents review #8). A segment is some 50 bytes, so this keeps a path to 5 MB.
         */
        public static final int MAX_SEGMENTS = 100_000;
        /** A page of more ruling lines than this is a drawing, not a table; a dense ruled page has a few thousand. */
        public static final int MAX_RULES = 20_000;

        private final List<Rule> rules = new ArrayList<>();
        private final List<float[]> segments = new ArrayList<>();
        private final float top;
        private final float left;
        private final PageBudget budget;
        private boolean capped;
        private Point2D.Float current = new Point2D.Float();
        private Point2D.Float start;

        /** A collector with no deadline (tests, tools). */
        public RuleCollector(PDPage page) {
            this(page, new PageBudget(Long.MAX_VALUE));
        }

        /** A collector that aborts the page past {@code budget}'s deadline (checked per operator). */
        public RuleCollector(PDPage page, PageBudget budget) {
            super(page);
            this.budget = budget;
            PDRectangle box = page.getCropBox();
            top = box.getUpperRightY();
            left = box.getLowerLeftX();
            // PDFBox's BI decodes an inline image in full into the heap before drawImage is even called: 2.9 KB of
            // PDF inflated to 1.2 GB (documents review #3). Rules need no image data, so inline images are skipped.
            addOperator(new OperatorProcessor(this) {
                @Override
                public void process(Operator operator, List<COSBase> operands) {
                    // Inline images are not rules.
                }

                @Override
                public String getName() {
                    return "BI";
                }
            });
        }

        /** The page's ruling lines (runs the page's content stream once); none when {@link #capped}. */
        public List<Rule> rules() throws IOException {
            try {
                processPage(getPage());
            } catch (Capped e) {
                capped = true;
                rules.clear();
                segments.clear();
            }
            return rules;
        }

        /** Whether the page drew more than {@link #MAX_SEGMENTS} or {@link #MAX_RULES}, so its rules were dropped. */
        public boolean capped() {
            return capped;
        }

        @Override
        protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
            budget.tick();
            super.processOperator(operator, operands);
        }

        private void segment(float x0, float y0, float x1, float y1, float rectangle) {
            if (segments.size() >= MAX_SEGMENTS) {
                throw Capped.INSTANCE;
            }
            segments.add(new float[] {x0, y0, x1, y1, rectangle});
        }

        @Override
        public void appendRectangle(Point2D p0, Point2D p1, Point2D p2, Point2D p3) {
            segment((float) p0.getX(), (float) p0.getY(), (float) p1.getX(), (float) p1.getY(), 1);
            segment((float) p1.getX(), (float) p1.getY(), (float) p2.getX(), (float) p2.getY(), 1);
            segment((float) p2.getX(), (float) p2.getY(), (float) p3.getX(), (float) p3.getY(), 1);
            segment((float) p3.getX(), (float) p3.getY(), (float) p0.getX(), (float) p0.getY(), 1);
            current = new Point2D.Float((float) p0.getX(), (float) p0.getY());
        }

        @Override
        public void moveTo(float x, float y) {
            current = new Point2D.Float(x, y);
            start = current;
        }

        @Override
        public void lineTo(float x, float y) {
            segment(current.x, current.y, x, y, 0);
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
            if (rules.size() >= MAX_RULES) {
                throw Capped.INSTANCE;
            }
            if (Math.abs(x0 - x1) < 1 && Math.abs(y0 - y1) > 5) {
                rules.add(new Rule(true, (x0 + x1) / 2 - left, top - y0, top - y1));
            } else if (Math.abs(y0 - y1) < 1 && Math.abs(x0 - x1) > 5) {
                rules.add(new Rule(false, top - (y0 + y1) / 2, x0 - left, x1 - left));
            }
        }
    }

    /** Stops a {@link RuleCollector} past its caps (no stack trace: it is an outcome, not an error). */
    private static final class Capped extends RuntimeException {
        static final Capped INSTANCE = new Capped();

        private Capped() {
            super("rule collector capped", null, false, false);
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

    /**
     * The tables of one page from its words and the rules {@code collector} finds there; none when the collector was
     * capped. LimitExceeded or ExtractionTimeout when the page goes over the collector's budget.
     */
    public static List<PageTable> tables(int page, List<Word> words, RuleCollector collector) throws IOException, DocumentException {
        return PageBudget.run(() -> {
            List<Rule> rules = collector.rules();
            return collector.capped() ? List.of() : detect(page, words, rules, collector.budget);
        });
    }

    /** The tables of one page, top to bottom. */
    public static List<PageTable> detect(int page, List<Word> words, List<Rule> rules) {
        return detect(page, words, rules, new PageBudget(Long.MAX_VALUE));
    }

    private static List<PageTable> detect(int page, List<Word> words, List<Rule> rules, PageBudget budget) {
        List<Rule> verticals = new ArrayList<>();
        List<Rule> horizontals = new ArrayList<>();
        for (Rule r : rules) {
            (r.vertical() ? verticals : horizontals).add(r);
        }
        // Sorted by x once, so each line's crossing rules come sorted and a word gap takes a binary search.
        verticals.sort((a, b) -> Float.compare(a.at(), b.at()));
        List<Line> lines = lines(words);
        float[] crossing = new float[verticals.size()];
        for (Line line : lines) {
            budget.tick();
            cut(line, verticals, crossing);
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
            budget.tick();
            PageTable t = table(page, lines.subList(i, j), verticals, horizontals, budget);
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

    /**
     * Cuts a line into cells at gaps of at least {@link #CELL_GAP_EM} and at vertical rules crossing it
     * ({@code verticals} sorted by x; {@code crossing} is scratch space as long as they are). Each word gap looks for
     * a crossing rule by binary search: testing every rule per word took 30 s for 100,000 of each (review #14).
     */
    private static void cut(Line line, List<Rule> verticals, float[] crossing) {
        float mid = line.baseline - line.size * 0.3f;
        int count = 0;
        int n = 0;
        for (Rule r : verticals) {
            if (r.from() <= mid && r.to() >= mid) {
                count++;
                if (!Float.isNaN(r.at())) { // a NaN x counts as crossing but cuts no gap
                    crossing[n++] = r.at();
                }
            }
        }
        line.ruled = count >= 2;
        Cell cell = null;
        Word prev = null;
        for (Word w : line.words) {
            boolean split = prev == null || w.x0() - prev.x1() >= CELL_GAP_EM * Math.min(w.size(), prev.size());
            if (!split) {
                int k = firstAtLeast(crossing, n, prev.x1() - 0.5f);
                split = k < n && crossing[k] <= w.x0() + 0.5f;
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

    /** Index of the first of the first {@code n} (ascending, no NaN) values that is {@code >= v}, or n. */
    private static int firstAtLeast(float[] sorted, int n, float v) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int m = (lo + hi) >>> 1;
            if (sorted[m] >= v) {
                hi = m;
            } else {
                lo = m + 1;
            }
        }
        return lo;
    }

    private static boolean tabular(Line line) {
        return line.cells.size() >= 2 || line.ruled;
    }

    /**
     * Columns, rows and header of a run of tabular lines, or null when it does not look like a table. Cells are kept
     * sparsely (per row, only the columns it fills) until the table passes its checks: a dense row per line cost
     * O(rows x columns) before the fill check could reject it, and a staircase of 16,000 lines (each a cell at x = 0
     * and one at its own x, so as many columns as lines) exhausted a 2 GB heap. A table that passes
     * the fill check fills half its cells, so its dense form is at most twice its cells.
     */
    private static PageTable table(int page, List<Line> block, List<Rule> verticals, List<Rule> horizontals,
            PageBudget budget) {
        float top = block.get(0).baseline - block.get(0).size;
        float bottom = block.get(block.size() - 1).baseline + block.get(block.size() - 1).size * 0.3f;
        boolean ruled = block.stream().filter(l -> l.ruled).count() * 2 >= block.size();
        List<float[]> bands = new ArrayList<>();
        if (ruled) {
            List<Float> xs = new ArrayList<>();
            for (Rule r : verticals) {
                budget.tick();
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
                budget.tick();
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
        float[] cuts = new float[horizontals.size()];
        int cutCount = 0;
        for (Rule r : horizontals) {
            if (r.at() > top - 2 && r.at() < bottom + 2) {
                cuts[cutCount++] = r.at();
            }
        }
        Arrays.sort(cuts, 0, cutCount);
        boolean orderly = orderly(bands);
        int firstBand = Integer.MAX_VALUE;
        for (Line line : block) {
            for (Cell c : line.cells) {
                budget.tick(); // band() is a linear search when the bands are not orderly
                firstBand = Math.min(firstBand, band(bands, orderly, (c.x0 + c.x1) / 2));
            }
        }
        // Per row, its filled columns; a wrapped line appends to the row above (a builder: concatenating the whole
        // cell again per line is quadratic in a long run of continuation lines).
        List<Map<Integer, StringBuilder>> rows = new ArrayList<>();
        Line previous = null;
        for (Line line : block) {
            boolean continues = previous != null && rows.size() > 1
                    && band(bands, orderly, (line.cells.get(0).x0 + line.cells.get(0).x1) / 2) > firstBand
                    && !ruleBetween(cuts, cutCount, previous.baseline, line.baseline);
            Map<Integer, StringBuilder> row = continues ? rows.get(rows.size() - 1) : new HashMap<>(4);
            if (!continues) {
                rows.add(row);
            }
            for (Cell c : line.cells) {
                budget.tick();
                int b = band(bands, orderly, (c.x0 + c.x1) / 2);
                StringBuilder cell = row.get(b);
                if (cell == null) {
                    row.put(b, new StringBuilder(c.text));
                } else {
                    cell.append(' ').append(c.text);
                }
            }
            previous = line;
        }
        // Columns no row fills are gaps between rules, not columns. Every non-blank cell lies in a used column, so
        // the filled cells and their words are counted in the same pass.
        List<Map<Integer, String>> texts = new ArrayList<>(rows.size());
        boolean[] usedBand = new boolean[bands.size()];
        int filled = 0;
        int words = 0;
        for (Map<Integer, StringBuilder> row : rows) {
            Map<Integer, String> text = new HashMap<>(row.size() * 2);
            for (Map.Entry<Integer, StringBuilder> e : row.entrySet()) {
                budget.tick();
                String cell = e.getValue().toString().strip();
                text.put(e.getKey(), cell);
                if (!cell.isEmpty()) {
                    usedBand[e.getKey()] = true;
                    filled++;
                    words += cell.split("\\s+").length;
                }
            }
            texts.add(text);
        }
        List<Integer> used = new ArrayList<>();
        for (int b = 0; b < usedBand.length; b++) {
            if (usedBand[b]) {
                used.add(b);
            }
        }
        if (used.size() < 2 || rows.size() < (ruled ? 2 : 3)) {
            return null;
        }
        // The header's cells in unused columns are blank: they neither count as lettered nor make it numeric.
        long headerCells = 0;
        boolean numericHeader = false;
        for (String h : texts.get(0).values()) {
            budget.tick();
            if (hasLetter(h)) {
                headerCells++;
            } else if (!h.isEmpty()) {
                numericHeader = true;
            }
        }
        if (headerCells < 2 || numericHeader || filled * 2L < (long) rows.size() * used.size()
                || (double) words / filled > MAX_WORDS_PER_CELL) {
            return null;
        }
        PageTable t = new PageTable(page, ruled);
        for (int r = 0; r < texts.size(); r++) {
            ArrayList<String> cells = new ArrayList<>(used.size());
            for (int b : used) {
                budget.tick();
                cells.add(texts.get(r).getOrDefault(b, ""));
            }
            if (r == 0) {
                t.header = cells;
            } else {
                t.rows.add(cells);
            }
        }
        for (int c = 0; c < t.header.size(); c++) {
            if (t.header.get(c).isEmpty()) {
                t.header.set(c, "Column " + (c + 1));
            }
        }
        return t;
    }

    /**
     * Whether {@code s} holds a letter (of any script), read by code points. The regex {@code .*\p{L}.*} it replaces
     * backtracked quadratically on a cell of letters, a line terminator and a letter (80,000 characters took 26 s),
     * and since its dots stop at line terminators it took such a cell for one without letters.
     */
    private static boolean hasLetter(String s) {
        return s.codePoints().anyMatch(Character::isLetter);
    }

    /** Whether one of the first {@code n} of {@code cuts} (ascending, filtered by comparisons NaN fails) lies strictly between. */
    private static boolean ruleBetween(float[] cuts, int n, float above, float below) {
        int lo = 0;
        int hi = n;
        while (lo < hi) { // first cut > above
            int m = (lo + hi) >>> 1;
            if (cuts[m] > above) {
                hi = m;
            } else {
                lo = m + 1;
            }
        }
        return lo < n && cuts[lo] < below;
    }

    /**
     * Whether the bands are in order along x and do not overlap (each from <= to, each to <= the next from, no NaN),
     * so {@link #band} can find the nearest by binary search: a linear search per cell is O(cells x columns), which
     * a line of 100,000 words between as many rules made minutes (review #14). Other bands take the linear search.
     */
    private static boolean orderly(List<float[]> bands) {
        float last = -Float.MAX_VALUE;
        for (float[] band : bands) {
            if (!(band[0] >= last && band[1] >= band[0])) {
                return false;
            }
            last = band[1];
        }
        return true;
    }

    /** The band nearest to x (the first of the nearest; band 0 when none is a finite distance away). */
    private static int band(List<float[]> bands, boolean orderly, float x) {
        if (!orderly || Float.isNaN(x) || bands.isEmpty()) {
            return band(bands, x);
        }
        int lo = 0;
        int hi = bands.size();
        while (lo < hi) { // first band whose end is not left of x
            int m = (lo + hi) >>> 1;
            if (bands.get(m)[1] >= x) {
                hi = m;
            } else {
                lo = m + 1;
            }
        }
        // Distances fall towards x and rise after it, so the nearest is lo - 1 or lo; of equals the first wins.
        double right = lo < bands.size() ? distance(bands.get(lo), x) : Double.POSITIVE_INFINITY;
        double left = lo > 0 ? distance(bands.get(lo - 1), x) : Double.POSITIVE_INFINITY;
        int best;
        if (!(Math.min(left, right) < Double.MAX_VALUE)) {
            return 0;
        }
        if (lo > 0 && left <= right) {
            best = lo - 1;
            while (best > 0 && distance(bands.get(best - 1), x) == left) { // rounding can make neighbours tie
                best--;
            }
        } else {
            best = lo;
        }
        return best;
    }

    private static double distance(float[] band, float x) {
        return x < band[0] ? band[0] - x : x > band[1] ? x - band[1] : 0;
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
