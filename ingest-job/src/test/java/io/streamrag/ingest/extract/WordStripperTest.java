package io.streamrag.ingest.extract;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
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
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

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
}
