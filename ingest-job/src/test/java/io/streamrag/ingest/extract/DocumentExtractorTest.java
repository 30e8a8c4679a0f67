package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.testing.TestDocuments;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Extraction on generated PDFs, text, HTML and images, including OCR with the real tesseract. */
class DocumentExtractorTest {

    private final DocumentExtractor extractor = new DocumentExtractor(ExtractionLimits.from(new Configuration()));

    @Test
    void extractsTextPerPageInOrder() throws Exception {
        byte[] pdf = TestDocuments.pdf(List.of(
                List.of("Chapter one talks about apples."),
                List.of("Chapter two talks about bananas."),
                List.of("Chapter three talks about cherries.")));
        ExtractedDocument doc = extractor.extract(pdf, ContentTypes.detect(pdf, null));
        assertThat(doc.contentType).isEqualTo(ContentTypes.PDF);
        assertThat(doc.pageCount).isEqualTo(3);
        assertThat(doc.pages).extracting(p -> p.page).containsExactly(1, 2, 3);
        assertThat(doc.pages.get(1).text).contains("bananas").doesNotContain("apples");
        assertThat(doc.images).isEmpty();
    }

    @Test
    void findsEmbeddedAndScannedImagesAndOcrReadsTheirWords() throws Exception {
        byte[] pdf = TestDocuments.pdfWithImages(TestDocuments.sentences("Intro", 3), "ZEPHYR 4711", "QUOKKA MANUAL");
        ExtractedDocument doc = extractor.extract(pdf, ContentTypes.PDF);
        assertThat(doc.pageCount).isEqualTo(3);
        // Page 2's picture is embedded; the 16px decoration is skipped; page 3 has no text layer and is rendered.
        assertThat(doc.images).hasSize(2);
        assertThat(doc.images.get(0).page).isEqualTo(2);
        assertThat(doc.images.get(0).source).isEqualTo(PageImage.EMBEDDED);
        assertThat(doc.images.get(1).page).isEqualTo(3);
        assertThat(doc.images.get(1).source).isEqualTo(PageImage.SCANNED_PAGE);
        assertThat(doc.imagesSkipped).isGreaterThanOrEqualTo(1);
        assertThat(doc.pages).extracting(p -> p.page).containsExactly(1, 2);

        TesseractReader ocr = new TesseractReader("tesseract", "eng", Duration.ofSeconds(60));
        String embedded = ocr.read(doc.images.get(0).bytes).toUpperCase(Locale.ROOT);
        String scanned = ocr.read(doc.images.get(1).bytes).toUpperCase(Locale.ROOT);
        assertThat(embedded).contains("ZEPHYR");
        assertThat(scanned).contains("QUOKKA");
    }

    @Test
    void repeatedImageIsReadOnce() throws Exception {
        byte[] pdf = TestDocuments.pdfWithRepeatedImage("LOGO WORDS", 3);
        ExtractedDocument doc = extractor.extract(pdf, ContentTypes.PDF);
        assertThat(doc.pageCount).isEqualTo(3);
        assertThat(doc.images).hasSize(1);
        assertThat(doc.images.get(0).page).isEqualTo(1);
        assertThat(doc.imagesSkipped).isEqualTo(2);
    }

    @Test
    void encryptedWithEmptyUserPasswordIsRead() throws Exception {
        byte[] pdf = TestDocuments.encryptedPdf("", "owner-secret", true, "Readable despite encryption.");
        ExtractedDocument doc = extractor.extract(pdf, ContentTypes.PDF);
        assertThat(doc.pages.get(0).text).contains("Readable despite encryption");
    }

    @Test
    void encryptedWithUserPasswordIsRejected() throws Exception {
        byte[] pdf = TestDocuments.encryptedPdf("user-secret", "owner-secret", true, "Hidden");
        assertThatThrownBy(() -> extractor.extract(pdf, ContentTypes.PDF))
                .isInstanceOf(DocumentException.class)
                .satisfies(e -> assertThat(((DocumentException) e).error()).isEqualTo(DocumentError.ENCRYPTED_DOCUMENT));
    }

    @Test
    void ownerForbiddingExtractionIsRejected() throws Exception {
        byte[] pdf = TestDocuments.encryptedPdf("", "owner-secret", false, "Hidden");
        assertThatThrownBy(() -> extractor.extract(pdf, ContentTypes.PDF))
                .satisfies(e -> assertThat(((DocumentException) e).error()).isEqualTo(DocumentError.ENCRYPTED_DOCUMENT));
    }

    @Test
    void truncatedPdfIsCorrupt() throws Exception {
        byte[] pdf = TestDocuments.pdf(List.of(List.of("Some text that will be cut off.")));
        byte[] truncated = Arrays.copyOf(pdf, pdf.length / 3);
        assertThatThrownBy(() -> extractor.extract(truncated, ContentTypes.PDF))
                .satisfies(e -> assertThat(((DocumentException) e).error()).isEqualTo(DocumentError.CORRUPT_DOCUMENT));
    }

    @Test
    void notAPdfIsCorrupt() {
        byte[] text = "just some words, no PDF here".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> extractor.extract(text, ContentTypes.PDF))
                .satisfies(e -> assertThat(((DocumentException) e).error()).isEqualTo(DocumentError.CORRUPT_DOCUMENT));
        assertThat(ContentTypes.detect(text, null)).isEqualTo(ContentTypes.TEXT);
    }

    @Test
    void tooManyPagesIsALimit() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.LIMITS_MAX_PAGES, 2);
        ExtractionLimits limits = ExtractionLimits.from(conf);
        byte[] pdf = TestDocuments.pdf(List.of(List.of("a"), List.of("b"), List.of("c")));
        assertThatThrownBy(() -> new DocumentExtractor(limits).extract(pdf, ContentTypes.PDF))
                .satisfies(e -> assertThat(((DocumentException) e).error()).isEqualTo(DocumentError.LIMIT_EXCEEDED));
    }

    @Test
    void htmlLosesTagsAndKeepsHeadings() throws Exception {
        String html = "<html><head><title>t</title><style>p{}</style></head><body><h1>Install</h1>"
                + "<p>Run the <b>installer</b>.</p><script>alert(1)</script><h2>Ports</h2><p>Admin UI on 8443.</p></body></html>";
        byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
        assertThat(ContentTypes.detect(bytes, null)).isEqualTo(ContentTypes.HTML);
        ExtractedDocument doc = extractor.extract(bytes, ContentTypes.HTML);
        String text = doc.pages.get(0).text;
        assertThat(text).contains("# Install").contains("Run the installer.").contains("## Ports").contains("8443");
        assertThat(text).doesNotContain("<").doesNotContain("alert");
    }

    @Test
    void standaloneImageIsOneImageOnPageOne() throws Exception {
        byte[] png = TestDocuments.png(TestDocuments.wordsImage("HELLO", 400, 120, 60));
        assertThat(ContentTypes.detect(png, null)).isEqualTo(ContentTypes.PNG);
        ExtractedDocument doc = extractor.extract(png, ContentTypes.PNG);
        assertThat(doc.images).hasSize(1);
        assertThat(doc.images.get(0).page).isEqualTo(1);
        assertThat(doc.images.get(0).width).isEqualTo(400);

        Configuration conf = new Configuration();
        conf.set(IngestOptions.LIMITS_MAX_IMAGE_PIXELS, 1000L);
        ExtractionLimits small = ExtractionLimits.from(conf);
        assertThatThrownBy(() -> new DocumentExtractor(small).extract(png, ContentTypes.PNG))
                .satisfies(e -> assertThat(((DocumentException) e).error()).isEqualTo(DocumentError.LIMIT_EXCEEDED));
    }

    private DocumentException refusal(byte[] content, String contentType) {
        return catchThrowableOfType(() -> extractor.extract(content, contentType), DocumentException.class);
    }

    @Test
    void htmlOverTheSizeCapIsALimitBeforeJsoupBuildsItsTree() {
        // Review #10: 30 MB of "<b>x" (within the 100 MB fetch limit) exhausted the heap as a jsoup tree.
        byte[] html = ("<html><body>" + "<b>x".repeat(7_500_000)).getBytes(StandardCharsets.UTF_8);
        DocumentException e = refusal(html, ContentTypes.HTML);
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("MAX_HTML_BYTES");
    }

    @Test
    void textAndMarkdownOverTheTextCapAreALimitBeforeTheyAreDecoded() throws Exception {
        // Chunking took ~40 bytes of heap per byte of text: 10 MB of "a " exhausted a 256 MB heap, and text had no
        // cap but the fetch's 100 MB.
        assertThat(ExtractionLimits.from(new Configuration()).maxTextBytes()).isEqualTo(8L << 20);
        byte[] over = "a ".repeat((4 << 20) + 1).getBytes(StandardCharsets.UTF_8);
        for (String type : List.of(ContentTypes.TEXT, ContentTypes.MARKDOWN)) {
            DocumentException e = refusal(over, type);
            assertThat(e).as(type).isNotNull();
            assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
            assertThat(e.getMessage()).contains(IngestOptions.LIMITS_MAX_TEXT_BYTES.key() + "=" + (8 << 20), String.valueOf(over.length));
        }
        Configuration conf = new Configuration();
        conf.set(IngestOptions.LIMITS_MAX_TEXT_BYTES, org.apache.flink.configuration.MemorySize.parse("1k"));
        DocumentExtractor small = new DocumentExtractor(ExtractionLimits.from(conf));
        assertThat(small.extract("b".repeat(1024).getBytes(StandardCharsets.UTF_8), ContentTypes.TEXT).pages).hasSize(1);
        assertThatThrownBy(() -> small.extract("b".repeat(1025).getBytes(StandardCharsets.UTF_8), ContentTypes.MARKDOWN))
                .isInstanceOf(DocumentException.class).hasMessageContaining("ingest.limits.max-text-bytes=1024");
    }

    @Test
    void aMultiPageTiffDeclaredAsPngIsRefusedBeforeOcr() throws Exception {
        // Review #11: frame 0 (200x200) passed the pixel check as a "PNG"; tesseract then read every TIFF page.
        ImageWriter writer = ImageIO.getImageWritersByFormatName("tiff").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType("CCITT T.6");
            writer.prepareWriteSequence(null);
            writer.writeToSequence(new IIOImage(new BufferedImage(200, 200, BufferedImage.TYPE_BYTE_BINARY), null, null), param);
            writer.writeToSequence(new IIOImage(new BufferedImage(300, 300, BufferedImage.TYPE_BYTE_BINARY), null, null), param);
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        byte[] tiff = bytes.toByteArray();
        for (String declared : List.of(ContentTypes.PNG, ContentTypes.JPEG)) {
            DocumentException e = refusal(tiff, declared);
            assertThat(e).as(declared).isNotNull();
            assertThat(e.error()).isEqualTo(DocumentError.UNSUPPORTED_CONTENT_TYPE);
        }
        // A JPEG declared as PNG is refused as well; the real PNG still goes through (standaloneImageIsOneImageOnPageOne).
        byte[] jpeg = jpeg(new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY));
        assertThat(refusal(jpeg, ContentTypes.PNG).error()).isEqualTo(DocumentError.UNSUPPORTED_CONTENT_TYPE);
        assertThat(extractor.extract(jpeg, ContentTypes.JPEG).images).hasSize(1);
    }

    @Test
    void aJpegCarryingAHugeSecondImageIsALimit() throws Exception {
        // A second image appended after the first one's end: its header, not just frame 0's, is checked.
        byte[] small = jpeg(new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY));
        byte[] huge = small.clone();
        int sof = sof(huge);
        huge[sof + 5] = (byte) (30_000 >> 8); // height
        huge[sof + 6] = (byte) (30_000 & 0xFF);
        huge[sof + 7] = (byte) (30_000 >> 8); // width
        huge[sof + 8] = (byte) (30_000 & 0xFF);
        byte[] both = new byte[small.length + huge.length];
        System.arraycopy(small, 0, both, 0, small.length);
        System.arraycopy(huge, 0, both, small.length, huge.length);
        DocumentException e = refusal(both, ContentTypes.JPEG);
        assertThat(e).isNotNull();
        assertThat(e.error()).isEqualTo(DocumentError.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("30000x30000").contains("ingest.limits.max-image-pixels");
    }

    private static byte[] jpeg(BufferedImage img) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", out);
        return out.toByteArray();
    }

    /** Offset of the SOF0 marker (FF C0) of a baseline JPEG. */
    private static int sof(byte[] jpeg) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xC0) {
                return i;
            }
        }
        throw new AssertionError("no SOF0");
    }
}
