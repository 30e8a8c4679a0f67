package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.documentinterchange.markedcontent.PDPropertyList;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** {@link TableDetector.WordStripper}'s own duplicate-overlap check gives exactly PDFBox's text, page by page. */
class WordStripperTest {

    private static final PDType1Font FONT = new PDType1Font(Standard14Fonts.FontName.HELVETICA);

    @Test
    void fakeBoldIsReadOnceLikePdfBox() throws Exception {
        byte[] pdf = pdf(cs -> {
            for (int line = 0; line < 10; line++) {
                String text = "Torque the axle nut to 110 Nm, line " + line + ".";
                // Drawn three times a fraction of a point apart, as fake bold does.
                show(cs, 72, 700 - 14 * line, text);
                show(cs, 72.3f, 700 - 14 * line, text);
                show(cs, 72.15f, 700.2f - 14 * line, text);
            }
            // The same words again elsewhere on the page are text, not duplicates.
            show(cs, 72, 400, "Torque the axle nut to 110 Nm, line 0.");
        });
        String ours = sameAsPdfBox(pdf);
        assertThat(ours).containsOnlyOnce("line 3.");
        assertThat(ours.split("line 0\\.", -1)).hasSize(3);
    }

    @Test
    void randomOverlappingGlyphsGiveExactlyPdfBoxsText() throws Exception {
        Random random = new Random(12);
        for (int round = 0; round < 20; round++) {
            byte[] pdf = pdf(cs -> {
                for (int g = 0; g < 400; g++) {
                    // Few distinct glyphs, often close to an earlier one: both answers of the check, its edges included.
                    String glyph = String.valueOf("aeio1.".charAt(random.nextInt(6)));
                    float x = 50 + 4 * random.nextInt(40) + (random.nextBoolean() ? random.nextFloat() * 3 : 0);
                    float y = 300 + 6 * random.nextInt(30) + (random.nextBoolean() ? random.nextFloat() * 3 : 0);
                    show(cs, x, y, random.nextInt(4) == 0 ? glyph + glyph : glyph);
                }
            });
            sameAsPdfBox(pdf);
        }
    }

    @Test
    void overlapsInsideActualTextAreKeptLikePdfBox() throws Exception {
        byte[] pdf = pdf(cs -> {
            COSDictionary props = new COSDictionary();
            props.setString(COSName.ACTUAL_TEXT, "fi");
            cs.beginMarkedContent(COSName.getPDFName("Span"), PDPropertyList.create(props));
            show(cs, 72, 700, "fi");
            show(cs, 72.2f, 700, "fi");
            cs.endMarkedContent();
            show(cs, 72, 680, "after the span");
            show(cs, 72.2f, 680, "after the span");
            COSDictionary plain = new COSDictionary();
            cs.beginMarkedContent(COSName.P, PDPropertyList.create(plain));
            show(cs, 72, 660, "inside a plain sequence");
            show(cs, 72.2f, 660, "inside a plain sequence");
            cs.endMarkedContent();
        });
        assertThat(sameAsPdfBox(pdf)).containsOnlyOnce("after the span").containsOnlyOnce("inside a plain sequence");
    }

    /** Asserts that each page reads the same through WordStripper and PDFBox's stock stripper; returns the whole text. */
    private static String sameAsPdfBox(byte[] pdf) throws IOException {
        StringBuilder all = new StringBuilder();
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            TableDetector.WordStripper ours = new TableDetector.WordStripper();
            ours.setSortByPosition(true);
            PDFTextStripper stock = new PDFTextStripper();
            stock.setSortByPosition(true);
            for (int p = 1; p <= doc.getNumberOfPages(); p++) {
                ours.setStartPage(p);
                ours.setEndPage(p);
                stock.setStartPage(p);
                stock.setEndPage(p);
                String text = ours.getText(doc);
                assertThat(text).isEqualTo(stock.getText(doc));
                all.append(text);
            }
        }
        return all.toString();
    }

    /** Draws on one A4 page. */
    private interface Drawing {
        void draw(PDPageContentStream cs) throws IOException;
    }

    private static byte[] pdf(Drawing drawing) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                drawing.draw(cs);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }

    private static void show(PDPageContentStream cs, float x, float y, String text) throws IOException {
        cs.beginText();
        cs.setFont(FONT, 10);
        cs.newLineAtOffset(x, y);
        cs.showText(text);
        cs.endText();
    }

    /** A text page drawing form F_depth, where each F_k draws F_(k-1) ten times: 10^depth runs of the leaf form. */
    static byte[] formLaughs(int depth) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            COSStream form = form(doc, "0 0 m 1 1 l n\n", null);
            for (int k = 1; k <= depth; k++) {
                form = form(doc, "/F Do ".repeat(10) + "\n", form);
            }
            String text = "BT /F1 12 Tf 72 720 Td (This page has a real text layer with more than thirty-two characters.) Tj ET\n";
            return TableDetectorTest.rawPdf((text + "/Top Do\n").getBytes(StandardCharsets.US_ASCII), "Top", form, doc);
        }
    }

    private static COSStream form(PDDocument doc, String content, COSStream child) throws IOException {
        COSStream f = doc.getDocument().createCOSStream();
        f.setItem(COSName.TYPE, COSName.XOBJECT);
        f.setItem(COSName.SUBTYPE, COSName.FORM);
        f.setItem(COSName.BBOX, PDRectangle.LETTER.getCOSArray());
        if (child != null) {
            COSDictionary xobjects = new COSDictionary();
            xobjects.setItem(COSName.getPDFName("F"), child);
            COSDictionary resources = new COSDictionary();
            resources.setItem(COSName.XOBJECT, xobjects);
            f.setItem(COSName.RESOURCES, resources);
        }
        try (OutputStream o = f.createOutputStream(COSName.FLATE_DECODE)) {
            o.write(content.getBytes(StandardCharsets.US_ASCII));
        }
        return f;
    }

    @Test
    void formFanOutInsideOnePageEndsAtTheExtractionTimeout() throws Exception {
        // Review #6: the deadline was checked between pages only; 10^8 form runs in one page went past 10 minutes.
        Configuration conf = new Configuration();
        conf.set(IngestOptions.LIMITS_EXTRACT_TIMEOUT, Duration.ofSeconds(2));
        DocumentExtractor extractor = new DocumentExtractor(ExtractionLimits.from(conf));
        byte[] pdf = formLaughs(9);
        DocumentException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> catchThrowableOfType(() -> extractor.extract(pdf, ContentTypes.PDF), DocumentException.class));
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.EXTRACTION_TIMEOUT);
        assertThat(e.getMessage()).contains("ingest.limits.extract-timeout");
    }

    @Test
    void aPageOfMoreGlyphsThanTheCapIsALimit() throws Exception {
        // Review #4: 5 M glyphs on one page (18 KB of PDF) exhausted a 1 GB heap; one line of glyphs per 100.
        int lines = TableDetector.WordStripper.MAX_GLYPHS_PER_PAGE / 100 + 1;
        String line = "(" + "abcdefghij".repeat(10) + ") '\n";
        byte[] pdf = TableDetectorTest.rawPdf("BT /F1 0.01 Tf 0.0125 TL 10 780 Td\n" + line.repeat(lines) + "ET\n");
        DocumentExtractor extractor = new DocumentExtractor(ExtractionLimits.from(new Configuration()));
        DocumentException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> catchThrowableOfType(() -> extractor.extract(pdf, ContentTypes.PDF), DocumentException.class));
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("MAX_GLYPHS_PER_PAGE").contains("Page 1");
    }
}
