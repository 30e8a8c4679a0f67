package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.records.PageText;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.pdmodel.graphics.PDXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.rendering.ImageType;
import org.apache.pdfbox.rendering.PDFRenderer;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PDF text per page in reading order, tables per page ({@link TableDetector}), embedded images per page, and scanned pages rendered for OCR (PDFBox 3), with
 * every allocation the document controls bounded (decoded streams, rendered pixels, image sizes, form nesting).
 */
public class PdfExtractor {

    private final ExtractionLimits limits;

    public PdfExtractor(ExtractionLimits limits) {
        this.limits = limits;
        PdfBoxLogging.quiet();
    }

    public void extract(byte[] content, ExtractedDocument out) throws DocumentException {
        if (ContentTypes.indexOf(content, "%PDF-", 1024) < 0) {
            throw new DocumentException(DocumentError.CORRUPT_DOCUMENT, "Not a PDF: no %PDF- header");
        }
        long deadline = System.currentTimeMillis() + limits.timeoutMillis();
        // Decoded streams go to a capped cache (heap, then temp files), so a small file cannot inflate into the heap.
        MemoryUsageSetting memory = MemoryUsageSetting.setupMixed(limits.pdfMaxMainMemory(), limits.pdfMaxStorage());
        try (PDDocument doc = Loader.loadPDF(content, "", null, null, memory.streamCache)) {
            // Opened with the empty user password; an owner password may still forbid extraction.
            if (doc.isEncrypted() && !doc.getCurrentAccessPermission().canExtractContent()) {
                throw new DocumentException(DocumentError.ENCRYPTED_DOCUMENT, "PDF permissions forbid text extraction");
            }
            int pages = doc.getNumberOfPages();
            if (pages == 0) {
                throw new DocumentException(DocumentError.CORRUPT_DOCUMENT, "PDF has no pages");
            }
            if (pages > limits.maxPages()) {
                throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "PDF has " + pages + " pages, more than " + IngestOptions.LIMITS_MAX_PAGES.key() + "=" + limits.maxPages());
            }
            out.pageCount = pages;
            String title = doc.getDocumentInformation() == null ? null : doc.getDocumentInformation().getTitle();
            out.title = title == null || title.isBlank() ? null : title.strip();
            TableDetector.WordStripper stripper = new TableDetector.WordStripper();
            stripper.setSortByPosition(true);
            PDFRenderer renderer = null;
            Set<String> seen = new HashSet<>();
            long decoded = 0;
            for (int p = 1; p <= pages; p++) {
                checkDeadline(deadline);
                PDPage page = doc.getPage(p - 1);
                checkFormDepth(page.getResources(), p);
                decoded += checkDecodedContent(page, p, limits.pdfMaxStorage() - decoded);
                stripper.setStartPage(p);
                stripper.setEndPage(p);
                String text = stripper.getText(doc);
                int chars = text.replaceAll("\\s+", "").length();
                if (chars > 0) {
                    out.pages.add(new PageText(p, DocumentExtractor.normaliseNewlines(text)));
                    if (limits.detectTables()) {
                        out.tables.addAll(TableDetector.detect(p, stripper.words(), new TableDetector.RuleCollector(page).rules()));
                    }
                }
                if (!limits.collectImages()) {
                    continue;
                }
                if (chars < limits.scanCharsPerPage() && hasImages(page.getResources(), 0)) {
                    // Scanned page: the words are in pixels; render the whole page once instead of its tiles.
                    if (out.images.size() >= limits.maxImages()) {
                        out.imagesSkipped++;
                        continue;
                    }
                    if (renderer == null) {
                        renderer = new PDFRenderer(doc);
                    }
                    BufferedImage img = renderer.renderImageWithDPI(p - 1, renderDpi(page, p), ImageType.GRAY);
                    out.images.add(new PageImage(p, png(img), PageImage.SCANNED_PAGE, img.getWidth(), img.getHeight()));
                } else {
                    collectImages(page.getResources(), p, out, seen, deadline, 0);
                }
            }
        } catch (InvalidPasswordException e) {
            throw new DocumentException(DocumentError.ENCRYPTED_DOCUMENT, "PDF requires a user password");
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("scratch file memory exceeded")) {
                throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Decoded PDF streams exceed " + IngestOptions.LIMITS_PDF_MAX_STORAGE.key() + "=" + limits.pdfMaxStorage() + " bytes", e);
            }
            throw new DocumentException(DocumentError.CORRUPT_DOCUMENT, "Unreadable PDF: " + e.getMessage(), e);
        } catch (StackOverflowError e) {
            // Structures nested some other way than forms (e.g. patterns); the stack unwound, the heap is intact.
            throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "PDF structure nested too deeply (" + IngestOptions.LIMITS_MAX_FORM_DEPTH.key() + ")", e);
        } catch (RuntimeException e) {
            throw new DocumentException(DocumentError.CORRUPT_DOCUMENT, "Unreadable PDF: " + e.getMessage(), e);
        }
    }

    /** The render DPI that keeps the page within ingest.limits.max-render-pixels, or LimitExceeded below ingest.limits.min-render-dpi. */
    int renderDpi(PDPage page, int pageNumber) throws DocumentException {
        PDRectangle box = page.getCropBox();
        double squareInches = (box.getWidth() / 72.0) * (box.getHeight() / 72.0);
        double fit = Math.floor(Math.sqrt(limits.maxRenderPixels() / Math.max(squareInches, 1e-6)));
        int dpi = (int) Math.min(limits.renderDpi(), fit);
        if (dpi < Math.min(limits.minRenderDpi(), limits.renderDpi())) {
            throw new DocumentException(DocumentError.LIMIT_EXCEEDED, String.format(java.util.Locale.ROOT,
                    "Scanned page %d is %.0f x %.0f pt: even at %s=%d it would exceed %s=%d",
                    pageNumber, box.getWidth(), box.getHeight(), IngestOptions.LIMITS_MIN_RENDER_DPI.key(), limits.minRenderDpi(),
                    IngestOptions.LIMITS_MAX_RENDER_PIXELS.key(), limits.maxRenderPixels()));
        }
        return dpi;
    }

    /**
     * Decodes the page's content streams once, counting, before the text stripper parses them: a few kilobytes of
     * Flate can inflate to gigabytes that would keep the task thread busy for minutes. Returns the decoded length.
     */
    private long checkDecodedContent(PDPage page, int pageNumber, long budget) throws IOException, DocumentException {
        long n = 0;
        try (InputStream in = page.getContents()) {
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = in.read(buf)) > 0; ) {
                n += r;
                if (n > budget) {
                    throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Decoded content streams exceed " + IngestOptions.LIMITS_PDF_MAX_STORAGE.key() + "="
                            + limits.pdfMaxStorage() + " bytes (at page " + pageNumber + ")");
                }
            }
        }
        return n;
    }

    /** Refuses pages whose form XObjects nest deeper than ingest.limits.max-form-depth (or in a cycle) before anything walks them. */
    private void checkFormDepth(PDResources res, int pageNumber) throws IOException, DocumentException {
        if (formHeight(res, 0, new IdentityHashMap<>(), new HashSet<>()) > limits.maxFormDepth()) {
            throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Page " + pageNumber + " nests form XObjects deeper than " + IngestOptions.LIMITS_MAX_FORM_DEPTH.key() + "="
                    + limits.maxFormDepth() + " (or in a cycle)");
        }
    }

    /** Nesting height below {@code res}, memoised per form so shared forms are walked once; stops counting past the limit. */
    private int formHeight(PDResources res, int depth, Map<COSBase, Integer> memo, Set<COSBase> onPath) throws IOException {
        if (res == null) {
            return 0;
        }
        if (depth > limits.maxFormDepth()) {
            return 1; // deep enough to refuse; the caller adds up the rest
        }
        int height = 0;
        for (COSName name : res.getXObjectNames()) {
            PDXObject x = res.getXObject(name);
            if (!(x instanceof PDFormXObject)) {
                continue;
            }
            COSBase key = x.getCOSObject();
            Integer known = memo.get(key);
            if (known == null) {
                if (!onPath.add(key)) {
                    return Integer.MAX_VALUE / 2; // cycle
                }
                known = 1 + formHeight(((PDFormXObject) x).getResources(), depth + 1, memo, onPath);
                onPath.remove(key);
                memo.put(key, known);
            }
            height = Math.max(height, known);
        }
        return height;
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
                if (w < limits.minImageSide() || h < limits.minImageSide() || (long) w * h < limits.minImageArea()
                        || (long) w * h > limits.maxImagePixels() || out.images.size() >= limits.maxImages()) {
                    out.imagesSkipped++;
                    continue;
                }
                checkEncodedSize(image, page);
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

    /**
     * A JPEG or JPEG 2000 decodes to the size its own header declares, whatever the PDF dictionary says: read that
     * header (no pixels) and refuse the document when it lies beyond ingest.limits.max-image-pixels.
     */
    private void checkEncodedSize(PDImageXObject image, int page) throws IOException, DocumentException {
        List<COSName> filters = image.getStream().getFilters();
        if (filters.isEmpty()) {
            return;
        }
        COSName last = filters.get(filters.size() - 1);
        if (!COSName.DCT_DECODE.equals(last) && !COSName.JPX_DECODE.equals(last)) {
            return;
        }
        try (InputStream in = image.getStream().createInputStream(List.of(COSName.DCT_DECODE.getName(), COSName.JPX_DECODE.getName()))) {
            int[] size = DocumentExtractor.imageSize(in);
            if (size != null && (long) size[0] * size[1] > limits.maxImagePixels()) {
                throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "An image on page " + page + " declares " + image.getWidth() + "x" + image.getHeight()
                        + " but its data is " + size[0] + "x" + size[1] + " pixels, more than " + IngestOptions.LIMITS_MAX_IMAGE_PIXELS.key() + "=" + limits.maxImagePixels());
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
            throw new DocumentException(DocumentError.EXTRACTION_TIMEOUT, "Extraction exceeded " + IngestOptions.LIMITS_EXTRACT_TIMEOUT.key());
        }
    }
}
