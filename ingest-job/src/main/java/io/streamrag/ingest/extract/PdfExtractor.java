package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.records.PageText;

import org.apache.flink.runtime.execution.CancelTaskException;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.filter.FilterFactory;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.pdmodel.graphics.PDXObject;
import org.apache.pdfbox.pdmodel.graphics.color.PDColor;
import org.apache.pdfbox.pdmodel.graphics.color.PDColorSpace;
import org.apache.pdfbox.pdmodel.graphics.color.PDPattern;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.image.PDImage;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.pdmodel.graphics.pattern.PDShadingPattern;
import org.apache.pdfbox.rendering.ImageType;
import org.apache.pdfbox.rendering.PDFRenderer;
import org.apache.pdfbox.rendering.PageDrawer;
import org.apache.pdfbox.rendering.PageDrawerParameters;

import javax.imageio.ImageIO;

import java.awt.Color;
import java.awt.Paint;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PDF text per page in reading order, tables per page ({@link TableDetector}), embedded images per page, and scanned pages rendered for OCR (PDFBox 3), with
 * every allocation the document controls bounded (decoded streams, rendered pixels, image sizes and their masks, JPEG
 * scans, image bytes per document, form nesting, time inside a rendered page, shadings left out of it).
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
        int at = 0; // the page being extracted, for the OutOfMemoryError message
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
            TableDetector.WordStripper stripper = new TableDetector.WordStripper(new PageBudget(deadline));
            stripper.setSortByPosition(true);
            BoundedRenderer renderer = null;
            Images images = new Images(deadline);
            long decoded = 0;
            for (int p = 1; p <= pages; p++) {
                at = p;
                checkDeadline(deadline);
                PDPage page = doc.getPage(p - 1);
                checkFormDepth(page.getResources(), p);
                decoded += checkDecodedContent(page, p, limits.pdfMaxStorage() - decoded);
                stripper.setStartPage(p);
                stripper.setEndPage(p);
                String text = stripper.pageText(doc, p);
                int chars = text.replaceAll("\\s+", "").length();
                if (chars > 0) {
                    out.pages.add(new PageText(p, DocumentExtractor.normaliseNewlines(text)));
                    if (limits.detectTables()) {
                        out.tables.addAll(TableDetector.tables(p, stripper.words(), new TableDetector.RuleCollector(page, stripper.budget())));
                    }
                }
                if (!limits.collectImages()) {
                    continue;
                }
                Drawn drawn = chars < limits.scanCharsPerPage() ? drawnImages(page.getResources(), p, images) : Drawn.NONE;
                if (drawn != Drawn.NONE) {
                    // Scanned page: the words are in pixels; render the whole page once instead of its tiles. An image
                    // over the limits would be decoded by the renderer as collectImages would not: skip the page.
                    if (drawn == Drawn.OVER_LIMIT || out.images.size() >= limits.maxImages() || images.budgetSpent) {
                        out.imagesSkipped++;
                        continue;
                    }
                    if (renderer == null) {
                        // Not subsampled: every image it may draw passed the pixel limit, and a subsampled scan (every
                        // n-th pixel, no smoothing) read worse by OCR (expEYES manual page 54: its words were lost).
                        renderer = new BoundedRenderer(doc, images);
                    }
                    BufferedImage img = renderer.render(page, p);
                    if (img == null) {
                        out.imagesSkipped++; // the page drew an image over the limits (inline, annotation, pattern)
                        continue;
                    }
                    keep(out, images, new PageImage(p, png(img), PageImage.SCANNED_PAGE, img.getWidth(), img.getHeight()));
                } else {
                    collectImages(page.getResources(), p, out, images, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
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
        } catch (OutOfMemoryError e) {
            // Last resort behind the limits above: a page that still needs more heap than there is (typically one huge
            // allocation that failed, which leaves the heap usable) dead-letters its document instead of failing the task,
            // which would fail the job over and retry the document until the quarantine takes it. The document's pages
            // and images become garbage with this exception. A gradual exhaustion may have hit another thread first;
            // the quarantine stays the backstop for that.
            throw new DocumentException(DocumentError.LIMIT_EXCEEDED, (at == 0 ? "PDF" : "PDF page " + at) + " needs more memory than the heap has ("
                    + e.getMessage() + ")");
        } catch (CancelTaskException e) {
            throw e; // the task's, not the document's
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

    /** What the XObjects of a page or form draw: nothing, images within the limits, or an image over them. */
    private enum Drawn { NONE, WITHIN, OVER_LIMIT }

    /** Per-document image state: the deadline, verdicts memoised per image and form object, hashes seen, bytes kept. */
    private static final class Images {
        final long deadline;
        final Map<COSBase, Drawn> verdicts = new IdentityHashMap<>();
        final Set<String> seen = new HashSet<>();
        long bytes;
        boolean budgetSpent;

        Images(long deadline) {
            this.deadline = deadline;
        }
    }

    /**
     * The images a page's XObjects draw, through forms (whose nesting checkFormDepth has bounded), each checked as
     * collectImages checks it. Memoised per form and image object: resource trees that name the same form many times
     * used to be walked (names per level)^depth times, with no deadline.
     */
    private Drawn drawnImages(PDResources res, int page, Images images) throws IOException, DocumentException {
        if (res == null) {
            return Drawn.NONE;
        }
        Drawn drawn = Drawn.NONE;
        for (COSName name : res.getXObjectNames()) {
            checkDeadline(images.deadline);
            PDXObject x = xObject(res, name); // null when unreadable: the renderer skips it as well
            if (!(x instanceof PDFormXObject) && !(x instanceof PDImageXObject)) {
                continue;
            }
            Drawn known = images.verdicts.get(x.getCOSObject());
            if (known == null) {
                known = x instanceof PDImageXObject ? (withinLimits((PDImageXObject) x, page) ? Drawn.WITHIN : Drawn.OVER_LIMIT)
                        : drawnImages(((PDFormXObject) x).getResources(), page, images);
                images.verdicts.put(x.getCOSObject(), known);
            }
            if (known.compareTo(drawn) > 0) {
                drawn = known;
            }
            if (drawn == Drawn.OVER_LIMIT) {
                break;
            }
        }
        return drawn;
    }

    /** The XObject {@code name} of {@code res}, or null when it cannot be read. */
    private static PDXObject xObject(PDResources res, COSName name) {
        try {
            return res.getXObject(name);
        } catch (IOException e) {
            return null;
        }
    }

    private void collectImages(PDResources res, int page, ExtractedDocument out, Images images, Set<COSBase> forms, int depth)
            throws IOException, DocumentException {
        if (res == null || depth > 5) {
            return;
        }
        for (COSName name : res.getXObjectNames()) {
            checkDeadline(images.deadline);
            PDXObject x = xObject(res, name);
            if (x == null) {
                out.imagesSkipped++;
            } else if (x instanceof PDFormXObject) {
                if (forms.add(x.getCOSObject())) { // a form named many times on the page is walked once
                    collectImages(((PDFormXObject) x).getResources(), page, out, images, forms, depth + 1);
                }
            } else if (x instanceof PDImageXObject) {
                PDImageXObject image = (PDImageXObject) x;
                int w = image.getWidth();
                int h = image.getHeight();
                if (w < limits.minImageSide() || h < limits.minImageSide() || (long) w * h < limits.minImageArea()
                        || out.images.size() >= limits.maxImages() || images.budgetSpent || !withinLimits(image, page)) {
                    out.imagesSkipped++;
                    continue;
                }
                String hash = hash(image);
                if (!images.seen.add(hash)) {
                    out.imagesSkipped++; // logos and repeated figures are read once per document
                    continue;
                }
                try {
                    BufferedImage img = image.getImage();
                    keep(out, images, new PageImage(page, png(img), PageImage.EMBEDDED, w, h));
                } catch (IOException | RuntimeException e) {
                    out.imagesSkipped++;
                }
            }
        }
    }

    /**
     * Keeps an image while the document's images stay within ingest.limits.max-image-bytes; past it, this and every
     * further image is skipped (counted), as past ingest.limits.max-images: they are all held until the document is done.
     */
    private void keep(ExtractedDocument out, Images images, PageImage image) {
        if (images.budgetSpent || images.bytes + image.bytes.length > limits.maxImageBytes()) {
            images.budgetSpent = true;
            out.imagesSkipped++;
            return;
        }
        images.bytes += image.bytes.length;
        out.images.add(image);
    }

    /**
     * False when decoding the image would exceed ingest.limits.max-image-pixels: the image itself, its /SMask or /Mask
     * image (decoded at their own size), or the largest width times the largest height, to which getImage() scales
     * image and mask; or when the image or mask is a JPEG of too many scans. A JPEG (image or mask) whose header lies
     * beyond the limit refuses the document (checkEncoded).
     */
    private boolean withinLimits(PDImageXObject image, int page) throws DocumentException {
        try {
            long max = limits.maxImagePixels();
            long w = image.getWidth();
            long h = image.getHeight();
            if (w * h > max) {
                return false;
            }
            for (PDImageXObject mask : new PDImageXObject[] {image.getSoftMask(), image.getMask()}) {
                if (mask == null) {
                    continue;
                }
                if ((long) mask.getWidth() * mask.getHeight() > max) {
                    return false;
                }
                w = Math.max(w, mask.getWidth());
                h = Math.max(h, mask.getHeight());
                if (!checkEncoded(mask, page)) {
                    return false;
                }
            }
            if (w * h > max) {
                return false;
            }
            return checkEncoded(image, page);
        } catch (IOException e) {
            return false; // an unreadable mask: the image would not decode either
        }
    }

    /**
     * Reads the encoded JPEG or JPEG 2000 stage of an image (the first in its filters: PDFBox decodes each) without
     * decoding pixels. A JPEG 2000 or JPEG decodes to the size its own header declares, whatever the PDF dictionary
     * says: beyond ingest.limits.max-image-pixels the document is refused. False for a JPEG of more than
     * {@link JpegScans#MAX} scans: ImageIO decodes it in one native call that no deadline or interrupt stops, each scan
     * one more pass over all its pixels (a 4096 x 4096 progressive JPEG repeating its last scan 5,000 times, 232 KB
     * of PDF, took 99 s).
     */
    private boolean checkEncoded(PDImageXObject image, int page) throws IOException, DocumentException {
        COSName codec = null;
        for (COSName filter : image.getStream().getFilters()) {
            if (isDct(filter.getName()) || COSName.JPX_DECODE.equals(filter)) {
                codec = filter;
                break;
            }
        }
        if (codec == null) {
            return true;
        }
        try (InputStream in = encoded(image)) {
            int[] size = DocumentExtractor.imageSize(in);
            if (size != null && (long) size[0] * size[1] > limits.maxImagePixels()) {
                throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "An image on page " + page + " declares " + image.getWidth() + "x" + image.getHeight()
                        + " but its data is " + size[0] + "x" + size[1] + " pixels, more than " + IngestOptions.LIMITS_MAX_IMAGE_PIXELS.key() + "=" + limits.maxImagePixels());
            }
        }
        if (!isDct(codec.getName())) {
            return true;
        }
        try (InputStream in = encoded(image)) {
            return JpegScans.count(in, JpegScans.MAX) <= JpegScans.MAX;
        }
    }

    /** The image's data decoded up to (not through) its first JPEG or JPEG 2000 filter. */
    private static InputStream encoded(PDImageXObject image) throws IOException {
        return image.getStream().createInputStream(List.of(COSName.DCT_DECODE.getName(), COSName.DCT_DECODE_ABBREVIATION.getName(), COSName.JPX_DECODE.getName()));
    }

    /** DCTDecode, or its abbreviation, which PDFBox decodes in image XObjects as well as in inline images. */
    private static boolean isDct(String filter) {
        return filter.equals(COSName.DCT_DECODE.getName()) || filter.equals(COSName.DCT_DECODE_ABBREVIATION.getName());
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
        PageBudget.checkCancelled();
        if (System.currentTimeMillis() > deadline) {
            throw timeout();
        }
    }

    private static DocumentException timeout() {
        return new DocumentException(DocumentError.EXTRACTION_TIMEOUT, "Extraction exceeded " + IngestOptions.LIMITS_EXTRACT_TIMEOUT.key());
    }

    /** Transparent: what the OCR renderer paints instead of a shading pattern. */
    private static final Color NO_PAINT = new Color(0, 0, 0, 0);

    /** Stops rendering one page from inside PDFBox: {@code error} refuses the document, null skips the page. */
    private static final class StopRendering extends RuntimeException {
        final DocumentException error;

        StopRendering(DocumentException error) {
            super(null, null, false, false);
            this.error = error;
        }
    }

    /**
     * A PDFRenderer whose page drawers hold images to the limits collectImages applies, stop at the deadline and leave
     * shadings out.
     */
    private final class BoundedRenderer extends PDFRenderer {
        private final Images images;
        private int page;

        BoundedRenderer(PDDocument doc, Images images) {
            super(doc);
            this.images = images;
        }

        /** The page rendered for OCR, or null when it draws an image over the limits (the page is skipped). */
        BufferedImage render(PDPage pdPage, int pageNumber) throws IOException, DocumentException {
            page = pageNumber;
            try {
                return renderImageWithDPI(pageNumber - 1, renderDpi(pdPage, pageNumber), ImageType.GRAY);
            } catch (StopRendering e) {
                if (e.error != null) {
                    throw e.error;
                }
                return null;
            }
        }

        @Override
        protected PageDrawer createPageDrawer(PageDrawerParameters parameters) throws IOException {
            return new PageDrawer(parameters) {
                private int operators;

                @Override
                protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
                    // Forms, annotations, patterns and Type 3 glyphs all run through here: a few kilobytes of forms
                    // that draw each other ten times per level are billions of operators, so watch the clock inside.
                    if ((++operators & 0xFF) == 0) {
                        PageBudget.checkCancelled();
                        if (System.currentTimeMillis() > images.deadline) {
                            throw new StopRendering(timeout());
                        }
                    }
                    if ("BI".equals(operator.getName())) {
                        checkInlineImage(operator.getImageParameters(), operator.getImageData(), getResources(), page);
                    }
                    super.processOperator(operator, operands);
                }

                @Override
                public void drawImage(PDImage image) throws IOException {
                    // Images the resource walk before rendering cannot see (annotations, patterns, Type 3 glyphs).
                    if (image instanceof PDImageXObject) {
                        COSBase key = ((PDImageXObject) image).getCOSObject();
                        Drawn known = images.verdicts.get(key);
                        if (known == null) {
                            try {
                                known = withinLimits((PDImageXObject) image, page) ? Drawn.WITHIN : Drawn.OVER_LIMIT;
                            } catch (DocumentException e) {
                                throw new StopRendering(e);
                            }
                            images.verdicts.put(key, known);
                        }
                        if (known == Drawn.OVER_LIMIT) {
                            throw new StopRendering(null);
                        }
                    }
                    super.drawImage(image);
                }

                @Override
                public void shadingFill(COSName shadingName) {
                    // Shadings are gradients, not words, and one sh operator can cost minutes in PDFBox, where no deadline
                    // is checked: a mesh shading fills each triangle pixel by pixel (200 page-sized triangles, 4.8 KB of
                    // PDF, took 31 s); a function-based one evaluates its function, a PostScript program, per pixel.
                }

                @Override
                protected Paint getPaint(PDColor color) throws IOException {
                    // A shading pattern as fill or stroke colour costs the same: what it paints is left out too (text shown
                    // with it is in the text layer; only outlines painted with it are lost to OCR).
                    if (color.getColorSpace() instanceof PDPattern && ((PDPattern) color.getColorSpace()).getPattern(color) instanceof PDShadingPattern) {
                        return NO_PAINT;
                    }
                    return super.getPaint(color);
                }
            };
        }
    }

    /**
     * PDFBox decodes an inline image (BI ... ID ... EI) through all its filters into a byte array before drawing it,
     * and a few kilobytes of Flate in a content stream can inflate to gigabytes. Checks the declared size against
     * ingest.limits.max-image-pixels, then decodes once into buffers capped near that size (a JPEG stage by its
     * header first), so PDFBox's own decode that follows is bounded. Over: the page is skipped, or refused for a lying JPEG.
     */
    private void checkInlineImage(COSDictionary params, byte[] data, PDResources resources, int page) throws IOException {
        if (params == null || data == null) {
            return;
        }
        long w = params.getInt(COSName.W, COSName.WIDTH, -1);
        long h = params.getInt(COSName.H, COSName.HEIGHT, -1);
        if (w <= 0 || h <= 0) {
            return; // PDFBox refuses it itself
        }
        if (w * h > limits.maxImagePixels()) {
            throw new StopRendering(null);
        }
        boolean stencil = params.getBoolean(COSName.IM, COSName.IMAGE_MASK, false);
        int bpc = stencil ? 1 : Math.max(1, Math.min(16, params.getInt(COSName.BPC, COSName.BITS_PER_COMPONENT, 8)));
        int components = stencil ? 1 : components(params.getDictionaryObject(COSName.CS, COSName.COLORSPACE), resources);
        long expected = (w * components * bpc + 7) / 8 * h;
        long cap = 2 * expected + 64 * 1024; // a stage may be a little larger (ASCIIHex doubles); a bomb is far larger
        COSBase f = params.getDictionaryObject(COSName.F, COSName.FILTER);
        List<String> filters = f instanceof COSName ? List.of(((COSName) f).getName())
                : f instanceof COSArray ? ((COSArray) f).toCOSNameStringList() : List.of();
        byte[] stage = data;
        for (int i = 0; i < filters.size(); i++) {
            String name = filters.get(i);
            if (isDct(name)) {
                int[] size = DocumentExtractor.imageSize(stage);
                if (size != null && (long) size[0] * size[1] > limits.maxImagePixels()) {
                    throw new StopRendering(new DocumentException(DocumentError.LIMIT_EXCEEDED, "An inline image on page " + page + " declares " + w + "x" + h
                            + " but its data is " + size[0] + "x" + size[1] + " pixels, more than " + IngestOptions.LIMITS_MAX_IMAGE_PIXELS.key() + "=" + limits.maxImagePixels()));
                }
                if (JpegScans.count(new ByteArrayInputStream(stage), JpegScans.MAX) > JpegScans.MAX) {
                    throw new StopRendering(null); // as an XObject JPEG of too many scans (checkEncoded): not decoded
                }
            }
            CappedBuffer decoded = new CappedBuffer(cap);
            try {
                FilterFactory.INSTANCE.getFilter(name).decode(new ByteArrayInputStream(stage), decoded, params, i);
            } catch (IOException e) {
                if (!decoded.full) {
                    return; // an unknown filter or broken data: PDFBox reports it as it does today
                }
            }
            if (decoded.full) {
                throw new StopRendering(null);
            }
            stage = decoded.toByteArray();
        }
    }

    /** Components of an inline image's colour space (4 when it cannot be told: only bounds the decode). */
    private static int components(COSBase cs, PDResources resources) {
        if (cs instanceof COSArray && ((COSArray) cs).size() > 0
                && (COSName.I.equals(((COSArray) cs).get(0)) || COSName.INDEXED.equals(((COSArray) cs).get(0)))) {
            return 1;
        }
        if (COSName.G.equals(cs) || COSName.DEVICEGRAY.equals(cs)) {
            return 1;
        }
        if (COSName.RGB.equals(cs) || COSName.DEVICERGB.equals(cs)) {
            return 3;
        }
        if (COSName.CMYK.equals(cs) || COSName.DEVICECMYK.equals(cs)) {
            return 4;
        }
        if (cs instanceof COSName && resources != null) {
            try {
                return Math.max(1, Math.min(32, PDColorSpace.create(cs, resources).getNumberOfComponents()));
            } catch (IOException | RuntimeException e) {
                return 4;
            }
        }
        return 4;
    }

    /** An in-memory output that stops growing at {@code cap} bytes and says so. */
    private static final class CappedBuffer extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final long cap;
        boolean full;

        CappedBuffer(long cap) {
            this.cap = cap;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (full || bytes.size() + (long) len > cap) {
                full = true;
                throw new IOException("inline image decodes to more than " + cap + " bytes");
            }
            bytes.write(b, off, len);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
