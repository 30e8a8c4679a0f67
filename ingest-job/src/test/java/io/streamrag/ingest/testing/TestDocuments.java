package io.streamrag.ingest.testing;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Generates the PDFs and images the tests need with PDFBox and Java2D, so no binary fixtures are checked in. */
public final class TestDocuments {

    private TestDocuments() {}

    /** One page per entry; each entry's lines are written top to bottom in Helvetica 11pt. */
    public static byte[] pdf(List<List<String>> pages) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            for (List<String> lines : pages) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                writeLines(doc, page, lines, 780);
            }
            return save(doc);
        }
    }

    /** A page of text lines, a page with text and an embedded picture of {@code pictureWords}, and an image-only page. */
    public static byte[] pdfWithImages(List<String> textPage, String embeddedWords, String scannedWords) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage p1 = new PDPage(PDRectangle.A4);
            doc.addPage(p1);
            writeLines(doc, p1, textPage, 780);

            PDPage p2 = new PDPage(PDRectangle.A4);
            doc.addPage(p2);
            writeLines(doc, p2, List.of("Figure 1 below shows the label printed on the back of the device housing."), 780);
            PDImageXObject picture = LosslessFactory.createFromImage(doc, wordsImage(embeddedWords, 900, 220, 96));
            try (PDPageContentStream cs = new PDPageContentStream(doc, p2, PDPageContentStream.AppendMode.APPEND, true)) {
                cs.drawImage(picture, 50, 450, 450, 110);
                // A tiny decoration that must be skipped.
                cs.drawImage(LosslessFactory.createFromImage(doc, new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB)), 20, 20, 8, 8);
            }

            PDPage p3 = new PDPage(PDRectangle.A4);
            doc.addPage(p3);
            PDImageXObject scan = LosslessFactory.createFromImage(doc, wordsImage(scannedWords, 1200, 300, 110));
            try (PDPageContentStream cs = new PDPageContentStream(doc, p3)) {
                cs.drawImage(scan, 40, 500, 520, 130);
            }
            return save(doc);
        }
    }

    /** {@code pages} pages of text, each with the same picture (separately embedded) of {@code words}. */
    public static byte[] pdfWithRepeatedImage(String words, int pages) throws IOException {
        BufferedImage img = wordsImage(words, 600, 160, 64);
        try (PDDocument doc = new PDDocument()) {
            for (int i = 0; i < pages; i++) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                writeLines(doc, page, sentences("Page" + i + "-", 2), 780);
                PDImageXObject picture = LosslessFactory.createFromImage(doc, img);
                try (PDPageContentStream cs = new PDPageContentStream(doc, page, PDPageContentStream.AppendMode.APPEND, true)) {
                    cs.drawImage(picture, 50, 400, 300, 80);
                }
            }
            return save(doc);
        }
    }

    /** A PDF with one page of text, encrypted with the given passwords (user may be empty). */
    public static byte[] encryptedPdf(String userPassword, String ownerPassword, boolean canExtract, String text) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            writeLines(doc, page, List.of(text), 780);
            AccessPermission permission = new AccessPermission();
            permission.setCanExtractContent(canExtract);
            StandardProtectionPolicy policy = new StandardProtectionPolicy(ownerPassword, userPassword, permission);
            policy.setEncryptionKeyLength(128);
            doc.protect(policy);
            return save(doc);
        }
    }

    /** Black words on white, large font: what OCR must read back. */
    public static BufferedImage wordsImage(String words, int width, int height, int fontSize) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, fontSize));
        g.drawString(words, 30, height / 2 + fontSize / 3);
        g.dispose();
        return img;
    }

    public static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** {@code n} sentences of filler with a numbered marker word each, for chunking tests. */
    public static List<String> sentences(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + i + " describes how the operator configures the pump controller safely.");
        }
        return out;
    }

    private static void writeLines(PDDocument doc, PDPage page, List<String> lines, float top) throws IOException {
        try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
            cs.beginText();
            cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
            cs.setLeading(14);
            cs.newLineAtOffset(50, top);
            for (String line : lines) {
                cs.showText(line);
                cs.newLine();
            }
            cs.endText();
        }
    }

    private static byte[] save(PDDocument doc) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        doc.save(out);
        return out.toByteArray();
    }
}
