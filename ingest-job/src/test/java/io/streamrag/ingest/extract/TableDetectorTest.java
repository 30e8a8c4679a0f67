package io.streamrag.ingest.extract;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageTable;
import io.streamrag.ingest.testing.PoisonDocuments;

import org.apache.flink.configuration.Configuration;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Tables found in PDFs generated here: a ruled table, a borderless aligned table, and running text (none). */
class TableDetectorTest {

    private static final PDType1Font FONT = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
    private static final float SIZE = 10;

    /** The rows (first the header) of a small parts table; the last cell wraps onto a second line. */
    private static final String[][] RULED = {
        {"Part", "Nm", "Interval"},
        {"Axle nut", "110", "12 months"},
        {"Wheel bolt", "120", "6 months"},
        {"Brake caliper", "135", "24 months or"},
    };

    /**
     * A ruled table whose neighbouring cells sit closer than a word gap of 1 em (3 pt from each rule): the first
     * column right-aligned against the first inner rule, the others left-aligned after their rule, the middle column
     * just wide enough for its numbers. Only the rules can separate these cells.
     */
    static byte[] ruledTablePdf(boolean drawRules) throws IOException {
        float x1 = 160;
        float x2 = x1 + 3 + width("135") + 3;
        float[] rules = {72, x1, x2, 330};
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            float top = 700;
            float rowHeight = 16;
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                text(cs, 72, top + 30, "Maintenance of the front axle, as the workshop manual gives it.");
                for (int r = 0; r < RULED.length; r++) {
                    float baseline = top - r * rowHeight - 12;
                    text(cs, x1 - 3 - width(RULED[r][0]), baseline, RULED[r][0]);
                    text(cs, x1 + 3, baseline, RULED[r][1]);
                    text(cs, x2 + 3, baseline, RULED[r][2]);
                }
                float wrapped = top - (RULED.length - 1) * rowHeight - 12 - 11;
                text(cs, x2 + 3, wrapped, "more");
                float bottom = wrapped - 6;
                if (drawRules) {
                    cs.setLineWidth(0.5f);
                    for (float x : rules) {
                        cs.moveTo(x, top);
                        cs.lineTo(x, bottom);
                    }
                    for (int r = 0; r < RULED.length; r++) {
                        cs.moveTo(rules[0], top - r * rowHeight);
                        cs.lineTo(rules[3], top - r * rowHeight);
                    }
                    cs.moveTo(rules[0], bottom);
                    cs.lineTo(rules[3], bottom);
                    cs.stroke();
                }
                text(cs, 72, bottom - 30, "Tighten each nut in a cross pattern and check it again after the first ride.");
            }
            return save(doc);
        }
    }

    private static float width(String s) throws IOException {
        return FONT.getStringWidth(s) / 1000 * SIZE;
    }

    /** A borderless table: columns only by aligned left edges and wide gaps. */
    static byte[] alignedTablePdf() throws IOException {
        String[][] rows = {
            {"Setting", "Default", "Meaning"},
            {"backup.retain", "14", "days a backup is kept"},
            {"admin.port", "8443", "port of the admin UI"},
            {"log.level", "info", "verbosity of the log"},
        };
        float[] xs = {72, 200, 280};
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                text(cs, 72, 740, "The settings file holds one setting per line.");
                for (int r = 0; r < rows.length; r++) {
                    for (int c = 0; c < 3; c++) {
                        text(cs, xs[c], 700 - r * 14, rows[r][c]);
                    }
                }
                text(cs, 72, 620, "Restart the service after changing a setting.");
            }
            return save(doc);
        }
    }

    static byte[] runningTextPdf() throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                String[] lines = {
                    "The appliance keeps its backups for fourteen days by default, then removes the oldest.",
                    "An administrator may change this in the settings file, where every line holds one key.",
                    "After a change the service must restart, which takes a few seconds on most machines.",
                    "Logs are written to the system journal and rotated every week.",
                };
                for (int i = 0; i < lines.length; i++) {
                    text(cs, 72, 700 - i * 14, lines[i]);
                }
                cs.setLineWidth(0.5f); // a rule under the paragraph is no table
                cs.moveTo(72, 640);
                cs.lineTo(500, 640);
                cs.stroke();
            }
            return save(doc);
        }
    }

    private static void text(PDPageContentStream cs, float x, float y, String s) throws IOException {
        cs.beginText();
        cs.setFont(FONT, SIZE);
        cs.newLineAtOffset(x, y);
        cs.showText(s);
        cs.endText();
    }

    private static byte[] save(PDDocument doc) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        doc.save(out);
        return out.toByteArray();
    }

    private static ExtractedDocument extract(byte[] pdf, boolean tables) throws DocumentException {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.EXTRACT_TABLES, tables);
        ExtractionLimits limits = ExtractionLimits.from(conf);
        ExtractedDocument out = new ExtractedDocument(task(), ContentTypes.PDF);
        new PdfExtractor(limits).extract(pdf, out);
        return out;
    }

    private static DocumentTask task() {
        DocumentTask t = new DocumentTask();
        t.documentId = "manual";
        t.tenant = "acme";
        t.version = 1;
        t.op = Op.UPSERT.name();
        return t;
    }

    @Test
    void ruledTableColumnsComeFromTheRulesAndAWrappedCellStaysInItsRow() throws Exception {
        ExtractedDocument doc = extract(ruledTablePdf(true), true);
        assertThat(doc.tables).hasSize(1);
        PageTable t = doc.tables.get(0);
        assertThat(t.ruled).isTrue();
        assertThat(t.page).isEqualTo(1);
        assertThat(t.header).containsExactly("Part", "Nm", "Interval");
        assertThat(t.rows).<List<String>>extracting(r -> r).containsExactly(
                List.of("Axle nut", "110", "12 months"),
                List.of("Wheel bolt", "120", "6 months"),
                List.of("Brake caliper", "135", "24 months or more"));
        // The page text is still extracted as before.
        assertThat(doc.pages).hasSize(1);
        assertThat(doc.pages.get(0).text).contains("Maintenance of the front axle").contains("Wheel bolt");
    }

    @Test
    void withoutTheRulesTheSameNarrowGapsAreNoTable() throws Exception {
        assertThat(extract(ruledTablePdf(false), true).tables).isEmpty();
    }

    @Test
    void borderlessTableColumnsComeFromAlignedText() throws Exception {
        ExtractedDocument doc = extract(alignedTablePdf(), true);
        assertThat(doc.tables).hasSize(1);
        PageTable t = doc.tables.get(0);
        assertThat(t.ruled).isFalse();
        assertThat(t.header).containsExactly("Setting", "Default", "Meaning");
        assertThat(t.rows).hasSize(3);
        assertThat(t.rows.get(1)).containsExactly("admin.port", "8443", "port of the admin UI");
    }

    @Test
    void runningTextHasNoTableAndTablesCanBeSwitchedOff() throws Exception {
        assertThat(extract(runningTextPdf(), true).tables).isEmpty();
        assertThat(extract(alignedTablePdf(), false).tables).isEmpty();
    }

    @Test
    void tableChunksKeepTheHeaderWithEveryRowAndLeaveTheOtherChunkIdsAlone() throws Exception {
        ExtractedDocument doc = extract(alignedTablePdf(), true);
        Chunker chunker = new Chunker(256, 32);
        List<Chunk> chunks = chunker.chunk(task(), doc);
        List<Chunk> textOnly = chunker.chunk(task(), extract(alignedTablePdf(), false));
        assertThat(chunks.subList(0, textOnly.size())).extracting(c -> c.chunkId + c.text)
                .isEqualTo(textOnly.stream().map(c -> c.chunkId + c.text).toList());
        List<Chunk> tables = chunks.stream().filter(c -> "table".equals(c.kind)).toList();
        assertThat(tables).hasSize(1);
        assertThat(tables.get(0).page).isEqualTo(1);
        assertThat(tables.get(0).text.split("\n")).containsExactly(
                "Setting | Default | Meaning;",
                "Setting: backup.retain | Default: 14 | Meaning: days a backup is kept;",
                "Setting: admin.port | Default: 8443 | Meaning: port of the admin UI;",
                "Setting: log.level | Default: info | Meaning: verbosity of the log;");
    }

    @Test
    void aLongTableIsSplitIntoChunksOfWholeRowsEachWithTheHeader() {
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.PDF);
        PageTable t = new PageTable(3, false);
        t.header.addAll(List.of("Code", "Meaning"));
        for (int i = 0; i < 40; i++) {
            t.rows.add(new java.util.ArrayList<>(List.of("E" + i, "error number " + i + " of the pump")));
        }
        doc.tables.add(t);
        Chunker chunker = new Chunker(130, 26); // 100 words
        List<Chunk> chunks = chunker.chunk(task(), doc);
        assertThat(chunks).hasSizeGreaterThan(3).allMatch(c -> "table".equals(c.kind) && c.page == 3);
        int rows = 0;
        for (Chunk c : chunks) {
            String[] lines = c.text.split("\n");
            assertThat(lines[0]).isEqualTo("Code | Meaning;");
            assertThat(c.text.split("\\s+").length).isLessThanOrEqualTo(chunker.maxWords());
            for (int i = 1; i < lines.length; i++) {
                assertThat(lines[i]).matches("Code: E\\d+ \\| Meaning: error number \\d+ of the pump;");
                rows++;
            }
        }
        assertThat(rows).isEqualTo(40);
    }

    /** Text a page shows before whatever a hostile test adds to its content. */
    private static final String TEXT = "BT /F1 12 Tf 72 720 Td (This page has a real text layer with more than thirty-two characters.) Tj ET\n";

    /** One Helvetica page with {@code content} (Flate-compressed) and optionally one named XObject. */
    static byte[] rawPdf(byte[] content, String xobjectName, COSStream xobject, PDDocument doc) throws IOException {
        PDPage page = new PDPage(PDRectangle.LETTER);
        PDResources resources = new PDResources();
        resources.put(COSName.getPDFName("F1"), FONT);
        page.setResources(resources);
        if (xobject != null) {
            COSDictionary xo = new COSDictionary();
            xo.setItem(COSName.getPDFName(xobjectName), xobject);
            resources.getCOSObject().setItem(COSName.XOBJECT, xo);
        }
        doc.addPage(page);
        COSStream stream = doc.getDocument().createCOSStream();
        try (OutputStream o = stream.createOutputStream(COSName.FLATE_DECODE)) {
            o.write(content);
        }
        page.getCOSObject().setItem(COSName.CONTENTS, stream);
        return save(doc);
    }

    static byte[] rawPdf(String content) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            return rawPdf(content.getBytes(StandardCharsets.ISO_8859_1), null, null, doc);
        }
    }


    @Test
    void inlineImageBombOnATextPageIsNeverDecoded() throws Exception {
        // Review #3: a 3 KB PDF whose inline image inflates to a gigabyte; the table pass decoded it into the heap.
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.write(TEXT.getBytes(StandardCharsets.US_ASCII));
        content.write("q 10 0 0 10 100 100 cm BI /W 1 /H 1 /CS /G /BPC 8 /F /Fl ID ".getBytes(StandardCharsets.US_ASCII));
        content.write(PoisonDocuments.deflatedZeros(1L << 30));
        content.write("\nEI Q\n".getBytes(StandardCharsets.US_ASCII));
        byte[] pdf;
        try (PDDocument doc = new PDDocument()) {
            pdf = rawPdf(content.toByteArray(), null, null, doc);
        }
        ExtractedDocument doc = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> extract(pdf, true));
        assertThat(doc.pages).hasSize(1);
        assertThat(doc.pages.get(0).text).contains("real text layer");
    }

    @Test
    void aPageRulingMoreLinesThanTheCapGetsNoTablesButKeepsItsText() throws Exception {
        // Review #8: rules (and pending path segments) were kept without bound; 6 M rectangles filled a 1 GB heap.
        StringBuilder content = new StringBuilder(TEXT);
        for (int r = 0; r < 4; r++) { // a ruled table the detector finds when the page has no more rules than that
            content.append("BT /F1 10 Tf 100 ").append(600 - 16 * r).append(" Td (Name").append(r).append(") Tj ET\n");
            content.append("BT /F1 10 Tf 200 ").append(600 - 16 * r).append(" Td (Value").append(r).append(") Tj ET\n");
        }
        StringBuilder rules = new StringBuilder("0.5 w 90 620 m 90 540 l 190 620 m 190 540 l 300 620 m 300 540 l S\n");
        assertThat(extract(rawPdf(content + rules.toString()), true).tables).hasSize(1);
        for (int i = 0; i <= TableDetector.RuleCollector.MAX_RULES; i++) {
            rules.append("400 ").append(10 + i % 300).append(" m 410 ").append(10 + i % 300).append(" l S\n");
        }
        ExtractedDocument flooded = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> extract(rawPdf(content + rules.toString()), true));
        assertThat(flooded.tables).isEmpty();
        assertThat(flooded.pages.get(0).text).contains("real text layer").contains("Value3");
    }

    @Test
    void unpaintedRectanglesStopTheRuleCollectorAtItsCap() throws Exception {
        StringBuilder content = new StringBuilder(TEXT);
        for (int i = 0; i <= TableDetector.RuleCollector.MAX_SEGMENTS / 4; i++) {
            content.append("0 0 1 1 re\n"); // never painted: the segments of one endless path
        }
        try (PDDocument doc = Loader.loadPDF(rawPdf(content.toString()))) {
            TableDetector.RuleCollector collector = new TableDetector.RuleCollector(doc.getPage(0));
            assertThat(collector.rules()).isEmpty();
            assertThat(collector.capped()).isTrue();
        }
    }

    @Test
    void formFanOutInTheRulePassStopsAtTheDeadline() throws Exception {
        // Review #6: forms drawing forms ten times over nine levels are 10^9 form runs inside one page.
        try (PDDocument doc = Loader.loadPDF(WordStripperTest.formLaughs(9))) {
            TableDetector.RuleCollector collector = new TableDetector.RuleCollector(doc.getPage(0),
                    new PageBudget(System.currentTimeMillis() + 500));
            DocumentException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> catchThrowableOfType(() -> TableDetector.tables(1, List.of(), collector), DocumentException.class));
            assertThat(e).isNotNull();
            assertThat(e.error()).isEqualTo(DocumentError.EXTRACTION_TIMEOUT);
        }
    }

    @Test
    void aLineOfManyWordsBetweenManyRulesIsCutInNearLinearTime() {
        // Review #14: each word tested every rule crossing its line (and each cell every column): O(words x rules).
        int n = 100_000;
        List<TableDetector.Word> words = new ArrayList<>();
        List<TableDetector.Rule> rules = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            words.add(new TableDetector.Word(i % 2 == 0 ? "ab" : "cd", 10 + 4 * i, 12 + 4 * i, 100, 10));
            rules.add(new TableDetector.Rule(true, 13 + 4 * i, 80, 120)); // in every gap, 2 pt: narrower than a word gap
        }
        for (int row = 1; row <= 2; row++) { // two more short ruled rows make it a (very wide) table
            words.add(new TableDetector.Word("x" + row, 10, 12, 100 + 12 * row, 10));
            words.add(new TableDetector.Word("y" + row, 14, 16, 100 + 12 * row, 10));
        }
        List<PageTable> tables = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> TableDetector.detect(1, words, rules));
        assertThat(tables).hasSize(1);
        assertThat(tables.get(0).header).hasSize(n);
        assertThat(tables.get(0).header.get(n - 1)).isEqualTo(n % 2 == 0 ? "cd" : "ab");
    }

    @Test
    void aHeaderCellOfManyLettersEndingInALineTerminatorIsReadInLinearTime() {
        // The letter test was the regex .*\p{L}.*, which backtracked quadratically here: 80,000 letters took 26 s,
        // and a 1.5 KB PDF whose glyphs map to 80-character strings ran 646 s, past the extract timeout.
        String header = "a".repeat(400_000) + "\u2028b";
        List<TableDetector.Word> words = List.of(
                new TableDetector.Word(header, 0, 50, 10, 10), new TableDetector.Word("Name", 200, 230, 10, 10),
                new TableDetector.Word("x", 0, 5, 22, 10), new TableDetector.Word("y", 200, 205, 22, 10),
                new TableDetector.Word("x", 0, 5, 34, 10), new TableDetector.Word("y", 200, 205, 34, 10));
        List<PageTable> tables = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> TableDetector.detect(1, words, List.of()));
        // Its letters count (the regex's dots stopped at the line terminator, so it was taken for a number).
        assertThat(tables).hasSize(1);
        assertThat(tables.get(0).header).containsExactly(header, "Name");
    }

    @Test
    void aStaircaseOfAsManyColumnsAsLinesIsRejectedWithoutADenseGrid() {
        // Each line a cell at x = 0 and one at its own x: as many columns as lines, two cells filled per row. A
        // String[columns] per row took O(lines^2) memory before the fill check: 16,000 lines exhausted a 2 GB heap.
        int lines = 16_000;
        List<TableDetector.Word> words = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            words.add(new TableDetector.Word("k", 0f, 0.5f, 10 + i, 1f));
            words.add(new TableDetector.Word("v", 10 + 2f * i, 10.5f + 2f * i, 10 + i, 1f));
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] allocated = new long[1];
        List<PageTable> tables = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            long before = threads.getCurrentThreadAllocatedBytes();
            List<PageTable> found = TableDetector.detect(1, words, List.of());
            allocated[0] = threads.getCurrentThreadAllocatedBytes() - before;
            return found;
        });
        assertThat(tables).isEmpty(); // the fill check's answer: 2 of 16,001 cells per row filled
        // Linear in the words (a few hundred bytes each); the dense grid alone was 16,000 x 16,001 references (1 GB).
        assertThat(allocated[0]).isLessThan(256L << 20);
    }
}
