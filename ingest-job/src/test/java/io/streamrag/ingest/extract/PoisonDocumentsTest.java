package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.testing.PoisonDocuments;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

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
}
