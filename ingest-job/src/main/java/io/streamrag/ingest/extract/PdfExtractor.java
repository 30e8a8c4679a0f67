package io.streamrag.ingest.extract;

import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.records.PageText;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.pdmodel.graphics.PDXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.rendering.ImageType;
import org.apache.pdfbox.rendering.PDFRenderer;
import org.apache.pdfbox.text.PDFTextStripper;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/** PDF text per page in reading order, embedded images per page, and scanned pages rendered for OCR (PDFBox 3). */
public class PdfExtractor {

    private final ExtractionLimits limits;

    public PdfExtractor(ExtractionLimits limits) {
        this.limits = limits;
        PdfBoxLogging.quiet();
    }

    public void extract(byte[] content, ExtractedDocument out) throws DocumentException {
        if (ContentTypes.indexOf(content, "%PDF-", 1024) < 0) {
            throw new DocumentException("CorruptDocument", "Not a PDF: no %PDF- header");
        }
        long deadline = System.currentTimeMillis() + limits.timeoutMillis;
        try (PDDocument doc = Loader.loadPDF(content)) {
            // Opened with the empty user password; an owner password may still forbid extraction.
            if (doc.isEncrypted() && !doc.getCurrentAccessPermission().canExtractContent()) {
                throw new DocumentException("EncryptedDocument", "PDF permissions forbid text extraction");
            }
            int pages = doc.getNumberOfPages();
            if (pages == 0) {
                throw new DocumentException("CorruptDocument", "PDF has no pages");
            }
            if (pages > limits.maxPages) {
                throw new DocumentException("LimitExceeded", "PDF has " + pages + " pages, more than limits.max-pages=" + limits.maxPages);
            }
            out.pageCount = pages;
            String title = doc.getDocumentInformation() == null ? null : doc.getDocumentInformation().getTitle();
            out.title = title == null || title.isBlank() ? null : title.strip();
            PDFTextStripper stripper = new PDFTextStripper();
            stripper.setSortByPosition(true);
            PDFRenderer renderer = null;
            Set<String> seen = new HashSet<>();
            for (int p = 1; p <= pages; p++) {
                checkDeadline(deadline);
                stripper.setStartPage(p);
                stripper.setEndPage(p);
                String text = stripper.getText(doc);
                int chars = text.replaceAll("\\s+", "").length();
                if (chars > 0) {
                    out.pages.add(new PageText(p, DocumentExtractor.normaliseNewlines(text)));
                }
                if (!limits.collectImages) {
                    continue;
                }
                PDPage page = doc.getPage(p - 1);
                if (chars < limits.scanCharsPerPage && hasImages(page.getResources(), 0)) {
                    // Scanned page: the words are in pixels; render the whole page once instead of its tiles.
                    if (out.images.size() >= limits.maxImages) {
                        out.imagesSkipped++;
                        continue;
                    }
                    if (renderer == null) {
                        renderer = new PDFRenderer(doc);
                    }
                    BufferedImage img = renderer.renderImageWithDPI(p - 1, limits.renderDpi, ImageType.GRAY);
                    out.images.add(new PageImage(p, png(img), PageImage.SCANNED_PAGE, img.getWidth(), img.getHeight()));
                } else {
                    collectImages(page.getResources(), p, out, seen, deadline, 0);
                }
            }
        } catch (InvalidPasswordException e) {
            throw new DocumentException("EncryptedDocument", "PDF requires a user password");
        } catch (IOException | RuntimeException e) {
            throw new DocumentException("CorruptDocument", "Unreadable PDF: " + e.getMessage(), e);
        }
    }

    private boolean hasImages(PDResources res, int depth) throws IOException {
        if (res == null || depth > 5) {
            return false;
        }
        for (COSName name : res.getXObjectNames()) {
            PDXObject x = res.getXObject(name);
            if (x instanceof PDImageXObject) {
                return true;
            }
            if (x instanceof PDFormXObject && hasImages(((PDFormXObject) x).getResources(), depth + 1)) {
                return true;
            }
        }
        return false;
    }

    private void collectImages(PDResources res, int page, ExtractedDocument out, Set<String> seen, long deadline, int depth)
            throws IOException, DocumentException {
        if (res == null || depth > 5) {
            return;
        }
        for (COSName name : res.getXObjectNames()) {
            checkDeadline(deadline);
            PDXObject x;
            try {
                x = res.getXObject(name);
            } catch (IOException e) {
                out.imagesSkipped++;
                continue;
            }
            if (x instanceof PDFormXObject) {
                collectImages(((PDFormXObject) x).getResources(), page, out, seen, deadline, depth + 1);
            } else if (x instanceof PDImageXObject) {
                PDImageXObject image = (PDImageXObject) x;
                int w = image.getWidth();
                int h = image.getHeight();
                if (w < limits.minImageSide || h < limits.minImageSide || (long) w * h < limits.minImageArea
                        || (long) w * h > limits.maxImagePixels || out.images.size() >= limits.maxImages) {
                    out.imagesSkipped++;
                    continue;
                }
                String hash = hash(image);
                if (!seen.add(hash)) {
                    out.imagesSkipped++; // logos and repeated figures are read once per document
                    continue;
                }
                try {
                    BufferedImage img = image.getImage();
                    out.images.add(new PageImage(page, png(img), PageImage.EMBEDDED, w, h));
                } catch (IOException | RuntimeException e) {
                    out.imagesSkipped++;
                }
            }
        }
    }

    private static String hash(PDImageXObject image) throws IOException {
        try (InputStream in = image.getCOSObject().createRawInputStream()) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        return bytes.toByteArray();
    }

    private static void checkDeadline(long deadline) throws DocumentException {
        if (System.currentTimeMillis() > deadline) {
            throw new DocumentException("ExtractionTimeout", "Extraction exceeded limits.extract-timeout");
        }
    }
}
