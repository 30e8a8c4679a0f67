package io.streamrag.ingest.testing;

import org.apache.pdfbox.cos.COSInteger;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Generates crafted PDFs that attack the extractor's memory, stack or time, with PDFBox, so no binary fixture is
 * checked in: each is small on disk and expensive to process naively.
 */
public final class PoisonDocuments {

    private PoisonDocuments() {}

    /** Deflate of {@code n} zero bytes, streamed (only the compressed bytes are held): a decompression bomb's payload. */
    public static byte[] deflatedZeros(long n) {
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_SPEED);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeros = new byte[1 << 20];
        byte[] buf = new byte[1 << 16];
        for (long left = n; left > 0; ) {
            int k = (int) Math.min(left, zeros.length);
            deflater.setInput(zeros, 0, k);
            left -= k;
            while (!deflater.needsInput()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            out.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return out.toByteArray();
    }

    /** Five 14,400 × 14,400 pt pages (the PDF maximum) that each show one tiny image, so they look scanned. */
    public static byte[] pageBomb() throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDImageXObject dot = LosslessFactory.createFromImage(doc, new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY));
            for (int i = 0; i < 5; i++) {
                PDPage page = new PDPage(new PDRectangle(14_400, 14_400));
                doc.addPage(page);
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.drawImage(dot, 10, 10, 8, 8);
                }
            }
            return save(doc);
        }
    }

    /** One page whose Flate-compressed content stream inflates to {@code inflatedBytes} (mostly spaces). */
    public static byte[] hugeCompressedStream(long inflatedBytes) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            COSStream content = doc.getDocument().createCOSStream();
            try (OutputStream out = content.createOutputStream(COSName.FLATE_DECODE)) {
                out.write("BT /F1 12 Tf 50 700 Td (Compressed bomb) Tj ET\n".getBytes());
                byte[] spaces = new byte[1 << 20];
                Arrays.fill(spaces, (byte) ' ');
                for (long n = 0; n < inflatedBytes; n += spaces.length) {
                    out.write(spaces);
                }
            }
            page.getCOSObject().setItem(COSName.CONTENTS, content);
            PDResources res = new PDResources();
            res.put(COSName.getPDFName("F1"), new PDType1Font(Standard14Fonts.FontName.HELVETICA));
            page.setResources(res);
            return save(doc);
        }
    }

    /** A page that draws form 1, which draws form 2, … down to form {@code depth}. */
    public static byte[] deeplyNestedForms(int depth) throws IOException {
        // PDFBox walks the nesting recursively while saving: generate on a thread with a large stack.
        byte[][] result = new byte[1][];
        IOException[] failure = new IOException[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = nestedForms(depth);
            } catch (IOException e) {
                failure[0] = e;
            }
        }, "nested-forms", 1L << 30);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return result[0];
    }

    private static byte[] nestedForms(int depth) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            PDFormXObject inner = null;
            for (int i = depth; i >= 1; i--) {
                PDFormXObject form = new PDFormXObject(doc);
                form.setBBox(new PDRectangle(0, 0, 100, 100));
                PDResources res = new PDResources();
                StringBuilder ops = new StringBuilder("BT /F1 8 Tf 1 1 Td (level " + i + ") Tj ET\n");
                res.put(COSName.getPDFName("F1"), new PDType1Font(Standard14Fonts.FontName.HELVETICA));
                if (inner != null) {
                    res.put(COSName.getPDFName("Fm"), inner);
                    ops.append("q /Fm Do Q\n");
                }
                form.setResources(res);
                try (OutputStream out = form.getContentStream().createOutputStream()) {
                    out.write(ops.toString().getBytes());
                }
                inner = form;
            }
            PDResources res = new PDResources();
            res.put(COSName.getPDFName("Fm"), inner);
            page.setResources(res);
            COSStream content = doc.getDocument().createCOSStream();
            try (OutputStream out = content.createOutputStream()) {
                out.write("q /Fm Do Q\n".getBytes());
            }
            page.getCOSObject().setItem(COSName.CONTENTS, content);
            return save(doc);
        }
    }

    /**
     * A page showing a DCT image whose PDF dictionary says 200 × 200 while its JPEG header says
     * {@code claimedSide} × {@code claimedSide}: a decoder trusting the JPEG allocates gigabytes.
     */
    public static byte[] lyingImage(int claimedSide) throws IOException {
        BufferedImage small = new BufferedImage(200, 200, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(small, "jpg", jpeg);
        byte[] bytes = jpeg.toByteArray();
        // Patch the SOF0 marker's height and width.
        for (int i = 0; i + 8 < bytes.length; i++) {
            if ((bytes[i] & 0xFF) == 0xFF && (bytes[i + 1] & 0xFF) == 0xC0) {
                bytes[i + 5] = (byte) (claimedSide >> 8);
                bytes[i + 6] = (byte) claimedSide;
                bytes[i + 7] = (byte) (claimedSide >> 8);
                bytes[i + 8] = (byte) claimedSide;
                break;
            }
        }
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            COSStream stream = doc.getDocument().createCOSStream();
            try (OutputStream out = stream.createRawOutputStream()) {
                out.write(bytes);
            }
            stream.setItem(COSName.TYPE, COSName.XOBJECT);
            stream.setItem(COSName.SUBTYPE, COSName.IMAGE);
            stream.setItem(COSName.FILTER, COSName.DCT_DECODE);
            stream.setItem(COSName.WIDTH, COSInteger.get(200));
            stream.setItem(COSName.HEIGHT, COSInteger.get(200));
            stream.setItem(COSName.BITS_PER_COMPONENT, COSInteger.get(8));
            stream.setItem(COSName.COLORSPACE, COSName.DEVICEGRAY);
            PDImageXObject image = new PDImageXObject(new org.apache.pdfbox.pdmodel.common.PDStream(stream), null);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                cs.beginText();
                cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
                cs.newLineAtOffset(50, 780);
                cs.showText("Figure 1 shows the wiring of the relay board and its connectors in detail.");
                cs.endText();
                cs.drawImage(image, 50, 300, 400, 400);
            }
            return save(doc);
        }
    }

    /**
     * A progressive JPEG of a blank {@code side} x {@code side} gray image whose last scan is repeated {@code extraScans}
     * more times (16 bytes each at 2048 x 2048): valid, and decoded in one native ImageIO call that makes a pass over every block per scan.
     */
    public static byte[] repeatedScanJpeg(int side, int extraScans) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(jpeg)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY), null, null), param);
        } finally {
            writer.dispose();
        }
        byte[] bytes = jpeg.toByteArray();
        int lastScan = -1; // the last SOS marker: in entropy-coded data a 0xFF is followed by 0x00 or RSTn
        for (int i = 0; i + 1 < bytes.length; i++) {
            if ((bytes[i] & 0xFF) == 0xFF && (bytes[i + 1] & 0xFF) == 0xDA) {
                lastScan = i;
            }
        }
        int eoi = bytes.length - 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(bytes, 0, eoi);
        for (int k = 0; k < extraScans; k++) {
            out.write(bytes, lastScan, eoi - lastScan);
        }
        out.write(bytes, eoi, 2);
        return out.toByteArray();
    }

    /**
     * Data of a type 4 shading (free-form triangle mesh; 8-bit flag, 16-bit x and y, one 8-bit gray component) of
     * {@code triangles} triangles that each span the whole Decode range: PDFBox paints them one by one, pixel by pixel.
     */
    public static byte[] largeTriangles(int triangles) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[][] corners = {{0, 0}, {0xFFFF, 0}, {0, 0xFFFF}};
        for (int t = 0; t < triangles; t++) {
            for (int[] v : corners) {
                out.write(0); // flag 0: a new triangle
                out.write(v[0] >> 8);
                out.write(v[0]);
                out.write(v[1] >> 8);
                out.write(v[1]);
                out.write(t);
            }
        }
        return out.toByteArray();
    }

    /** {@code pages} pages of one short line each. */
    public static byte[] manyPages(int pages) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            for (int i = 1; i <= pages; i++) {
                PDPage page = new PDPage(PDRectangle.A6);
                doc.addPage(page);
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.beginText();
                    cs.setFont(font, 10);
                    cs.newLineAtOffset(20, 300);
                    cs.showText("Page " + i + " of the long appendix.");
                    cs.endText();
                }
            }
            return save(doc);
        }
    }

    private static byte[] save(PDDocument doc) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        doc.save(out);
        return out.toByteArray();
    }
}
