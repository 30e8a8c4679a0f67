package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.testing.PoisonDocuments;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.runtime.execution.CancelTaskException;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSInteger;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Each crafted document ends as one LimitExceeded naming the limit, with bounded memory and time (default limits). */
class PoisonDocumentsTest {

    private final DocumentExtractor extractor = new DocumentExtractor(ExtractionLimits.from(new Configuration()));

    private DocumentException extract(byte[] pdf) {
        return catchThrowableOfType(() -> extractor.extract(pdf, ContentTypes.PDF), DocumentException.class);
    }

    @Test
    void pageBombIsNotRenderedAtFullSize() throws Exception {
        DocumentException e = extract(PoisonDocuments.pageBomb());
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("ingest.limits.max-render-pixels");
    }

    @Test
    void hugeCompressedStreamHitsTheStorageCap() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.LIMITS_PDF_MAX_STORAGE, new MemorySize(64L << 20)); // the default is 512 MiB; a smaller bomb keeps the test fast
        ExtractionLimits limits = ExtractionLimits.from(conf);
        DocumentException e = catchThrowableOfType(() -> new DocumentExtractor(limits)
                .extract(PoisonDocuments.hugeCompressedStream(256L << 20), ContentTypes.PDF), DocumentException.class);
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("ingest.limits.pdf-max-storage");
    }

    @Test
    void deeplyNestedFormsAreRefused() throws Exception {
        DocumentException e = extract(PoisonDocuments.deeplyNestedForms(5000));
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("ingest.limits.max-form-depth");
    }

    @Test
    void imageWhoseJpegHeaderLiesIsRefused() throws Exception {
        DocumentException e = extract(PoisonDocuments.lyingImage(30_000));
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("ingest.limits.max-image-pixels");
    }

    @Test
    void tenThousandPagesExceedMaxPages() throws Exception {
        DocumentException e = extract(PoisonDocuments.manyPages(10_000));
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("ingest.limits.max-pages");
    }

    // ---- image paths (review 2026-12-01, #1-#3, #6, #7, #9, #12); the documents are built here, small ----

    private static final String TEXT = "BT /F1 12 Tf 72 720 Td (This page has a real text layer with more than thirty-two characters.) Tj ET\n";

    /**
     * A cancelled task (a failover) interrupts the thread: extraction stops as a cancellation, with no outcome for the
     * document (it is replayed). It ignored the interrupt and ran on up to the 300 s extract timeout, past Flink's 180 s
     * task.cancellation.timeout, after which the TaskManager exits (the review's 400-page PDF ran on 4.7 s after one).
     */
    @Test
    void anInterruptedExtractionStopsAsACancellation() throws Exception {
        PDDocument doc = new PDDocument();
        for (int i = 0; i < 3; i++) {
            content(doc, page(doc, 612, 792), TEXT);
        }
        byte[] pdf = save(doc);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> extractor.extract(pdf, ContentTypes.PDF)).isInstanceOf(CancelTaskException.class);
        } finally {
            Thread.interrupted();
        }
        // Inside a page, where only the budget's ticks run between PDFBox's operators and glyphs.
        PageBudget budget = new PageBudget(Long.MAX_VALUE);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> {
                for (int i = 0; i < 1_000; i++) {
                    budget.tick();
                }
            }).isInstanceOf(CancelTaskException.class);
        } finally {
            Thread.interrupted();
        }
        assertThat(extractor.extract(pdf, ContentTypes.PDF).pageCount).as("not interrupted: read as before").isEqualTo(3);
    }

    @Test
    void scannedPageWithHugeImageIsNotDecoded() throws Exception {
        // A page without text drawing an 8000 x 8000 image (64 M pixels > max-image-pixels 40 M): it used to be rendered,
        // decoding the image at full size (the review's 30000 x 30000 variant threw OutOfMemoryError).
        PDDocument doc = new PDDocument();
        PDPage page = page(doc, 612, 792);
        xobjects(page, Map.of("Im0", zerosImage(doc, 8000, 8000, 1, COSName.DEVICEGRAY)));
        content(doc, page, "q 612 0 0 792 0 0 cm /Im0 Do Q\n");
        ExtractedDocument out = extractor.extract(save(doc), ContentTypes.PDF);
        assertThat(out.images).isEmpty();
        assertThat(out.imagesSkipped).isEqualTo(1);

        // The same through a form, and with a small image whose soft mask is over the limit.
        doc = new PDDocument();
        page = page(doc, 612, 792);
        COSStream image = zerosImage(doc, 256, 256, 8, COSName.DEVICEGRAY);
        image.setItem(COSName.SMASK, zerosImage(doc, 8000, 8000, 1, COSName.DEVICEGRAY));
        xobjects(page, Map.of("Fm", form(doc, "q 612 0 0 792 0 0 cm /Im0 Do Q\n", Map.of("Im0", image))));
        content(doc, page, "/Fm Do\n");
        out = extractor.extract(save(doc), ContentTypes.PDF);
        assertThat(out.images).isEmpty();
        assertThat(out.imagesSkipped).isEqualTo(1);
    }

    @Test
    void scannedPageWithLyingJpegIsRefused() throws Exception {
        // A JPEG on a page without text whose header declares more pixels than its dictionary and the limit: refused
        // as collectImages refuses it, instead of being decoded by the renderer.
        ExtractionLimits limits = ExtractionLimits.from(Configuration.fromMap(Map.of(IngestOptions.LIMITS_MAX_IMAGE_PIXELS.key(), "1000000")));
        PDDocument doc = new PDDocument();
        PDPage page = page(doc, 612, 792);
        xobjects(page, Map.of("Im0", lyingJpeg(doc, 200, 2000)));
        content(doc, page, "q 400 0 0 400 100 100 cm /Im0 Do Q\n");
        byte[] pdf = save(doc);
        DocumentException e = catchThrowableOfType(() -> new DocumentExtractor(limits).extract(pdf, ContentTypes.PDF), DocumentException.class);
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("ingest.limits.max-image-pixels");
    }

    @Test
    void softMaskBombIsSkipped() throws Exception {
        ExtractionLimits limits = ExtractionLimits.from(Configuration.fromMap(Map.of(IngestOptions.LIMITS_MAX_IMAGE_PIXELS.key(), "500000")));
        DocumentExtractor small = new DocumentExtractor(limits);
        // 1: a 256 x 256 image whose /SMask is 1000 x 1000 (1 M > 500 k): the mask was decoded at its own size.
        // 2: a 1000 x 100 image with a 100 x 1000 /SMask (100 k each): applyMask scales both to 1000 x 1000 = 1 M.
        // 3: a 256 x 256 image whose /Mask stream (a stencil) is 1000 x 1000.
        for (int variant = 1; variant <= 3; variant++) {
            PDDocument doc = new PDDocument();
            PDPage page = page(doc, 612, 792);
            COSStream image = variant == 2 ? zerosImage(doc, 1000, 100, 8, COSName.DEVICERGB) : zerosImage(doc, 256, 256, 8, COSName.DEVICERGB);
            COSStream mask = variant == 2 ? zerosImage(doc, 100, 1000, 8, COSName.DEVICEGRAY) : zerosImage(doc, 1000, 1000, 1, COSName.DEVICEGRAY);
            if (variant == 3) {
                mask.removeItem(COSName.COLORSPACE);
                mask.setBoolean(COSName.IMAGE_MASK, true);
            }
            image.setItem(variant == 3 ? COSName.MASK : COSName.SMASK, mask);
            xobjects(page, Map.of("Im0", image));
            content(doc, page, TEXT + "q 200 0 0 200 100 100 cm /Im0 Do Q\n");
            ExtractedDocument out = small.extract(save(doc), ContentTypes.PDF);
            assertThat(out.images).as("variant %d", variant).isEmpty();
            assertThat(out.imagesSkipped).as("variant %d", variant).isEqualTo(1);
            assertThat(out.pages).hasSize(1);
            assertThat(out.pages.get(0).text).contains("real text layer");
        }
    }

    @Test
    void inlineImageBombOnScannedPageIsNotDecoded() throws Exception {
        // A page without text (a small XObject image makes it "scanned") that also draws an inline image of 1 x 1 pixel
        // whose Flate data inflates to 64 MB: the renderer decoded all of it into a byte array (1.2 GB in the review: OOM).
        // And one whose declared size (8000 x 8000) is over max-image-pixels.
        for (String inline : new String[] {"BI /W 1 /H 1 /CS /G /BPC 8 /F /Fl ID ", "BI /W 8000 /H 8000 /IM true /F /Fl ID "}) {
            boolean declaredHuge = inline.contains("8000");
            PDDocument doc = new PDDocument();
            PDPage page = page(doc, 612, 792);
            xobjects(page, Map.of("Im0", zerosImage(doc, 100, 100, 8, COSName.DEVICEGRAY)));
            ByteArrayOutputStream c = new ByteArrayOutputStream();
            c.write("q 100 0 0 100 100 100 cm /Im0 Do Q\nq 10 0 0 10 300 300 cm ".getBytes(StandardCharsets.US_ASCII));
            c.write(inline.getBytes(StandardCharsets.US_ASCII));
            c.write(PoisonDocuments.deflatedZeros(declaredHuge ? 8000L * 1000 : 64L << 20));
            c.write("\nEI Q\n".getBytes(StandardCharsets.US_ASCII));
            contentBytes(doc, page, c.toByteArray());
            byte[] pdf = save(doc);
            ExtractedDocument out = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> extractor.extract(pdf, ContentTypes.PDF));
            assertThat(out.images).as(inline).isEmpty();
            assertThat(out.imagesSkipped).as(inline).isEqualTo(1);
        }
    }

    @Test
    void imagesRespectTheDocumentByteBudget() throws Exception {
        // Eight scanned pages and four embedded images of noise (each PNG ~170 KB): with a 600 KB budget the first few are
        // kept and the rest skipped (counted); rendered PNGs used to accumulate without bound (review: OOM after ~50 pages).
        ExtractionLimits limits = ExtractionLimits.from(Configuration.fromMap(Map.of("ingest.limits.max-image-bytes", "600k")));
        PDDocument doc = new PDDocument();
        COSStream noise = noiseImage(doc, 400, 400, 1);
        for (int i = 0; i < 8; i++) {
            PDPage page = page(doc, 200, 200);
            xobjects(page, Map.of("Im0", noise));
            content(doc, page, "q 200 0 0 200 0 0 cm /Im0 Do Q\n");
        }
        for (int i = 0; i < 4; i++) {
            PDPage page = page(doc, 612, 792);
            xobjects(page, Map.of("Im0", noiseImage(doc, 400, 400, 2 + i)));
            content(doc, page, TEXT + "q 200 0 0 200 100 100 cm /Im0 Do Q\n");
        }
        ExtractedDocument out = new DocumentExtractor(limits).extract(save(doc), ContentTypes.PDF);
        long bytes = out.images.stream().mapToLong(i -> i.bytes.length).sum();
        assertThat(bytes).isLessThanOrEqualTo(600 * 1024);
        assertThat(out.images).isNotEmpty();
        assertThat(out.images.size() + out.imagesSkipped).isEqualTo(12);
        assertThat(out.images).allMatch(i -> i.source.equals(PageImage.SCANNED_PAGE));
    }

    @Test
    void resourceFanOutIsLinear() throws Exception {
        // No text, no image; 6 levels of resources with 30 names each pointing to the next form: hasImages walked
        // 30 + 30^2 + ... + 30^6 entries (7.5e8) without a deadline.
        ExtractionLimits limits = ExtractionLimits.from(Configuration.fromMap(Map.of(IngestOptions.LIMITS_EXTRACT_TIMEOUT.key(), "2 s")));
        PDDocument doc = new PDDocument();
        PDPage page = page(doc, 612, 792);
        COSStream prev = form(doc, "\n", Map.of());
        for (int k = 1; k <= 6; k++) {
            COSDictionary xo = new COSDictionary();
            for (int i = 0; i < 30; i++) {
                xo.setItem(COSName.getPDFName("X" + i), prev);
            }
            if (k == 6) {
                page.getResources().getCOSObject().setItem(COSName.XOBJECT, xo);
            } else {
                prev = form(doc, "\n", Map.of());
                COSDictionary res = new COSDictionary();
                res.setItem(COSName.XOBJECT, xo);
                prev.setItem(COSName.RESOURCES, res);
            }
        }
        content(doc, page, "/X0 Do\n");
        byte[] pdf = save(doc);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try {
                ExtractedDocument out = new DocumentExtractor(limits).extract(pdf, ContentTypes.PDF);
                assertThat(out.images).isEmpty();
            } catch (DocumentException e) {
                assertThat(e.error()).isEqualTo(DocumentError.EXTRACTION_TIMEOUT);
            }
        });
    }

    @Test
    void renderingStopsAtTheDeadline() throws Exception {
        // A scanned page whose annotation appearance draws form F7, each F_k drawing F_(k-1) ten times (10^7 forms): only
        // the renderer runs it, and it checked the deadline only between pages.
        ExtractionLimits limits = ExtractionLimits.from(Configuration.fromMap(Map.of(IngestOptions.LIMITS_EXTRACT_TIMEOUT.key(), "1 s")));
        byte[] pdf = formBombInAnAnnotation();
        DocumentException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> catchThrowableOfType(() -> new DocumentExtractor(limits).extract(pdf, ContentTypes.PDF), DocumentException.class));
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.EXTRACTION_TIMEOUT);
    }

    /**
     * A scanned page whose annotation appearance draws form F7, each F_k drawing F_(k-1) ten times (10^7 forms): only
     * the renderer runs it.
     */
    private static byte[] formBombInAnAnnotation() throws IOException {
        PDDocument doc = new PDDocument();
        PDPage page = page(doc, 612, 792);
        xobjects(page, Map.of("Im0", zerosImage(doc, 100, 100, 8, COSName.DEVICEGRAY)));
        content(doc, page, "q 100 0 0 100 100 100 cm /Im0 Do Q\n");
        COSStream f = form(doc, "0 0 m 1 1 l n\n", Map.of());
        for (int k = 1; k <= 7; k++) {
            f = form(doc, "/F Do /F Do /F Do /F Do /F Do /F Do /F Do /F Do /F Do /F Do\n", Map.of("F", f));
        }
        annotation(page, f);
        return save(doc);
    }

    /** The same page with a minute to go: a cancellation while the renderer runs it stops it there too. */
    @Test
    void renderingStopsWhenTheTaskIsCancelled() throws Exception {
        ExtractionLimits limits = ExtractionLimits.from(Configuration.fromMap(Map.of(IngestOptions.LIMITS_EXTRACT_TIMEOUT.key(), "60 s")));
        byte[] pdf = formBombInAnAnnotation();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread task = new Thread(() -> {
            try {
                new DocumentExtractor(limits).extract(pdf, ContentTypes.PDF);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        task.start();
        long until = System.nanoTime() + 30_000_000_000L;
        while (Arrays.stream(task.getStackTrace()).noneMatch(e -> e.getClassName().contains("PageDrawer")) && task.isAlive()
                && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        task.interrupt(); // as Flink cancels a task
        task.join(30_000);
        assertThat(task.isAlive()).as("stopped by the interrupt, not by the 60 s timeout").isFalse();
        assertThat(thrown.get()).isInstanceOf(CancelTaskException.class);
    }

    // ---- one PDFBox call that no deadline stops: a JPEG's scans, a shading's triangles; the documents are small ----

    /** Default limits but a 10 s extraction timeout, which each document below must end well within. */
    private final DocumentExtractor tenSeconds = new DocumentExtractor(ExtractionLimits.from(Configuration.fromMap(
            Map.of(IngestOptions.LIMITS_EXTRACT_TIMEOUT.key(), "10 s"))));

    @Test
    void jpegOfThousandsOfScansIsNotDecoded() throws Exception {
        // A 2048 x 2048 progressive JPEG whose last scan is repeated 5,000 times (97 KB): ImageIO decoded it in one native
        // call, a pass over all pixels per scan, that neither the deadline nor an interrupt stops (~18 s here; 4096 x 4096
        // in 232 KB took 99 s). 1-2: embedded on a text page (the filter also by its abbreviation, which PDFBox decodes
        // too); 3: a scanned page drawing it; 4: drawn only by an annotation on a scanned page (the renderer's own check);
        // 5: an inline image on a scanned page.
        byte[] bomb = PoisonDocuments.repeatedScanJpeg(2048, 5000);
        for (int variant = 1; variant <= 5; variant++) {
            PDDocument doc = new PDDocument();
            PDPage page = page(doc, 612, 792);
            COSStream image = jpegImage(doc, bomb, 2048, variant == 2 ? COSName.DCT_DECODE_ABBREVIATION : COSName.DCT_DECODE);
            String scanned = "q 100 0 0 100 100 100 cm /Im0 Do Q\n";
            switch (variant) {
                case 1, 2 -> {
                    xobjects(page, Map.of("Im0", image));
                    content(doc, page, TEXT + "q 400 0 0 400 100 100 cm /Im0 Do Q\n");
                }
                case 3 -> {
                    xobjects(page, Map.of("Im0", image));
                    content(doc, page, scanned);
                }
                case 4 -> {
                    xobjects(page, Map.of("Im0", zerosImage(doc, 100, 100, 8, COSName.DEVICEGRAY)));
                    content(doc, page, scanned);
                    annotation(page, form(doc, "q 400 0 0 400 100 100 cm /Im1 Do Q\n", Map.of("Im1", image)));
                }
                default -> {
                    xobjects(page, Map.of("Im0", zerosImage(doc, 100, 100, 8, COSName.DEVICEGRAY)));
                    ByteArrayOutputStream c = new ByteArrayOutputStream();
                    c.write((scanned + "q 400 0 0 400 100 100 cm BI /W 2048 /H 2048 /CS /G /BPC 8 /F [/AHx /DCT] ID\n").getBytes(StandardCharsets.US_ASCII));
                    c.write(HexFormat.of().formatHex(bomb).getBytes(StandardCharsets.US_ASCII)); // hex: no "EI" inside the data
                    c.write(">\nEI Q\n".getBytes(StandardCharsets.US_ASCII));
                    contentBytes(doc, page, c.toByteArray());
                }
            }
            byte[] pdf = save(doc);
            ExtractedDocument out = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> tenSeconds.extract(pdf, ContentTypes.PDF), "variant " + variant);
            assertThat(out.images).as("variant %d", variant).isEmpty();
            assertThat(out.imagesSkipped).as("variant %d", variant).isEqualTo(1);
            if (variant <= 2) {
                assertThat(out.pages).hasSize(1);
                assertThat(out.pages.get(0).text).contains("real text layer");
            }
        }

        // The same JPEG with its 6 scans, as written, is decoded.
        PDDocument doc = new PDDocument();
        PDPage page = page(doc, 612, 792);
        xobjects(page, Map.of("Im0", jpegImage(doc, PoisonDocuments.repeatedScanJpeg(2048, 0), 2048, COSName.DCT_DECODE)));
        content(doc, page, TEXT + "q 400 0 0 400 100 100 cm /Im0 Do Q\n");
        ExtractedDocument out = tenSeconds.extract(save(doc), ContentTypes.PDF);
        assertThat(out.images).hasSize(1);
        assertThat(out.imagesSkipped).isZero();
    }

    @Test
    void shadingsAreLeftOutOfScannedPages() throws Exception {
        // A scanned page (a small image, no text) filled by a type 4 shading of 400 page-sized triangles (7 KB of data):
        // PDFBox painted them pixel by pixel inside one sh operator, where the deadline is not checked (200 triangles took
        // 31 s against a 10 s timeout). Then the same shading as a pattern that fills the page, and one that strokes.
        for (String paint : new String[] {"/Sh0 sh", "/Pattern cs /P0 scn 0 0 612 792 re f", "/Pattern CS /P0 SCN 300 w 0 0 m 612 792 l S"}) {
            PDDocument doc = new PDDocument();
            PDPage page = page(doc, 612, 792);
            xobjects(page, Map.of("Im0", zerosImage(doc, 100, 100, 8, COSName.DEVICEGRAY)));
            COSStream mesh = doc.getDocument().createCOSStream();
            mesh.setInt(COSName.SHADING_TYPE, 4);
            mesh.setItem(COSName.COLORSPACE, COSName.DEVICEGRAY);
            mesh.setInt(COSName.BITS_PER_COORDINATE, 16);
            mesh.setInt(COSName.BITS_PER_COMPONENT, 8);
            mesh.setInt(COSName.BITS_PER_FLAG, 8);
            COSArray decode = new COSArray();
            for (int v : new int[] {0, 612, 0, 792, 0, 1}) {
                decode.add(COSInteger.get(v));
            }
            mesh.setItem(COSName.DECODE, decode);
            try (OutputStream o = mesh.createOutputStream(COSName.FLATE_DECODE)) {
                o.write(PoisonDocuments.largeTriangles(400));
            }
            COSDictionary pattern = new COSDictionary();
            pattern.setInt(COSName.PATTERN_TYPE, 2);
            pattern.setItem(COSName.SHADING, mesh);
            COSDictionary shadings = new COSDictionary();
            shadings.setItem(COSName.getPDFName("Sh0"), mesh);
            COSDictionary patterns = new COSDictionary();
            patterns.setItem(COSName.getPDFName("P0"), pattern);
            page.getResources().getCOSObject().setItem(COSName.SHADING, shadings);
            page.getResources().getCOSObject().setItem(COSName.PATTERN, patterns);
            content(doc, page, "q 100 0 0 100 100 100 cm /Im0 Do Q\nq " + paint + " Q\n");
            byte[] pdf = save(doc);
            ExtractedDocument out = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> tenSeconds.extract(pdf, ContentTypes.PDF), paint);
            assertThat(out.images).as(paint).hasSize(1);
            assertThat(out.images.get(0).source).as(paint).isEqualTo(PageImage.SCANNED_PAGE);
            assertThat(out.imagesSkipped).as(paint).isZero();
        }
    }

    @Test
    void heapExhaustedOnOnePageIsLimitExceeded() throws Exception {
        // Limits that let one scanned page render to 44,000 x 44,000 gray pixels (1.9 GB, more than the test heap):
        // the single failed allocation left the heap usable, but the OutOfMemoryError escaped and failed the task.
        assumeTrue(Runtime.getRuntime().maxMemory() < 1_900_000_000L, "needs a heap smaller than the 1.9 GB page");
        ExtractionLimits limits = ExtractionLimits.from(Configuration.fromMap(Map.of(
                IngestOptions.EXTRACT_RENDER_DPI.key(), "220", IngestOptions.LIMITS_MAX_RENDER_PIXELS.key(), "2000000000")));
        PDDocument doc = new PDDocument();
        PDPage page = page(doc, 14_400, 14_400);
        xobjects(page, Map.of("Im0", zerosImage(doc, 100, 100, 8, COSName.DEVICEGRAY)));
        content(doc, page, "q 100 0 0 100 100 100 cm /Im0 Do Q\n");
        byte[] pdf = save(doc);
        // catchThrowableOfType fails the test when the OutOfMemoryError escapes instead
        DocumentException e = catchThrowableOfType(() -> new DocumentExtractor(limits).extract(pdf, ContentTypes.PDF), DocumentException.class);
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("page 1");
    }

    private static PDPage page(PDDocument doc, float w, float h) {
        PDPage p = new PDPage(new PDRectangle(w, h));
        PDResources r = new PDResources();
        r.put(COSName.getPDFName("F1"), new PDType1Font(Standard14Fonts.FontName.HELVETICA));
        p.setResources(r);
        doc.addPage(p);
        return p;
    }

    private static void xobjects(PDPage page, Map<String, COSStream> named) {
        COSDictionary xo = new COSDictionary();
        named.forEach((name, s) -> xo.setItem(COSName.getPDFName(name), s));
        page.getResources().getCOSObject().setItem(COSName.XOBJECT, xo);
    }

    private static void content(PDDocument doc, PDPage page, String ops) throws IOException {
        contentBytes(doc, page, ops.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void contentBytes(PDDocument doc, PDPage page, byte[] ops) throws IOException {
        COSStream s = doc.getDocument().createCOSStream();
        try (OutputStream o = s.createOutputStream(COSName.FLATE_DECODE)) {
            o.write(ops);
        }
        page.getCOSObject().setItem(COSName.CONTENTS, s);
    }

    /** Gives the page one annotation whose normal appearance is {@code appearance}, over the whole page. */
    private static void annotation(PDPage page, COSStream appearance) {
        COSDictionary annot = new COSDictionary();
        annot.setItem(COSName.TYPE, COSName.ANNOT);
        annot.setItem(COSName.SUBTYPE, COSName.getPDFName("Square"));
        annot.setItem(COSName.RECT, new PDRectangle(0, 0, 612, 792).getCOSArray());
        COSDictionary ap = new COSDictionary();
        ap.setItem(COSName.N, appearance);
        annot.setItem(COSName.AP, ap);
        COSArray annots = new COSArray();
        annots.add(annot);
        page.getCOSObject().setItem(COSName.ANNOTS, annots);
    }

    private static COSStream form(PDDocument doc, String ops, Map<String, COSStream> named) throws IOException {
        COSStream f = doc.getDocument().createCOSStream();
        f.setItem(COSName.TYPE, COSName.XOBJECT);
        f.setItem(COSName.SUBTYPE, COSName.FORM);
        f.setItem(COSName.BBOX, new PDRectangle(0, 0, 612, 792).getCOSArray());
        if (!named.isEmpty()) {
            COSDictionary res = new COSDictionary();
            COSDictionary xo = new COSDictionary();
            named.forEach((name, s) -> xo.setItem(COSName.getPDFName(name), s));
            res.setItem(COSName.XOBJECT, xo);
            f.setItem(COSName.RESOURCES, res);
        }
        try (OutputStream o = f.createOutputStream(COSName.FLATE_DECODE)) {
            o.write(ops.getBytes(StandardCharsets.US_ASCII));
        }
        return f;
    }

    private static COSStream imageStream(PDDocument doc, long w, long h, int bpc, COSName colorSpace) {
        COSStream im = doc.getDocument().createCOSStream();
        im.setItem(COSName.TYPE, COSName.XOBJECT);
        im.setItem(COSName.SUBTYPE, COSName.IMAGE);
        im.setLong(COSName.WIDTH, w);
        im.setLong(COSName.HEIGHT, h);
        im.setInt(COSName.BITS_PER_COMPONENT, bpc);
        im.setItem(COSName.COLORSPACE, colorSpace);
        return im;
    }

    /** An image of w x h whose (Flate) data is all zeros: a few kilobytes in the file, any size decoded. */
    private static COSStream zerosImage(PDDocument doc, long w, long h, int bpc, COSName colorSpace) throws IOException {
        COSStream im = imageStream(doc, w, h, bpc, colorSpace);
        int components = COSName.DEVICERGB.equals(colorSpace) ? 3 : 1;
        im.setItem(COSName.FILTER, COSName.FLATE_DECODE);
        try (OutputStream o = im.createRawOutputStream()) {
            o.write(PoisonDocuments.deflatedZeros((w * components * bpc + 7) / 8 * h));
        }
        return im;
    }

    /** A gray image of random noise (incompressible, so its PNG is about w x h bytes). */
    private static COSStream noiseImage(PDDocument doc, int w, int h, long seed) throws IOException {
        COSStream im = imageStream(doc, w, h, 8, COSName.DEVICEGRAY);
        byte[] noise = new byte[w * h];
        new Random(seed).nextBytes(noise);
        try (OutputStream o = im.createRawOutputStream()) {
            o.write(noise);
        }
        return im;
    }

    /** A DCT image whose dictionary says side x side while its JPEG header says claimed x claimed. */
    private static COSStream lyingJpeg(PDDocument doc, int side, int claimed) throws IOException {
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY), "jpg", jpeg);
        byte[] bytes = jpeg.toByteArray();
        for (int i = 0; i + 8 < bytes.length; i++) {
            if ((bytes[i] & 0xFF) == 0xFF && (bytes[i + 1] & 0xFF) == 0xC0) { // SOF0: height, width
                bytes[i + 5] = (byte) (claimed >> 8);
                bytes[i + 6] = (byte) claimed;
                bytes[i + 7] = (byte) (claimed >> 8);
                bytes[i + 8] = (byte) claimed;
                break;
            }
        }
        COSStream im = imageStream(doc, side, side, 8, COSName.DEVICEGRAY);
        im.setItem(COSName.FILTER, COSName.DCT_DECODE);
        try (OutputStream o = im.createRawOutputStream()) {
            o.write(bytes);
        }
        return im;
    }


    /** A gray side x side DCT image of the JPEG {@code jpeg}, its filter named {@code filter}. */
    private static COSStream jpegImage(PDDocument doc, byte[] jpeg, int side, COSName filter) throws IOException {
        COSStream im = imageStream(doc, side, side, 8, COSName.DEVICEGRAY);
        im.setItem(COSName.FILTER, filter);
        try (OutputStream o = im.createRawOutputStream()) {
            o.write(jpeg);
        }
        return im;
    }

    private static byte[] save(PDDocument doc) throws IOException {
        try (doc) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }
}
