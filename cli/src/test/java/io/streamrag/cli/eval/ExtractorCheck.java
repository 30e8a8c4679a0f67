package io.streamrag.cli.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamrag.cli.commands.SweepCommand;
import io.streamrag.common.json.Json;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.extract.DocumentExtractor;
import io.streamrag.ingest.extract.ExtractionLimits;
import io.streamrag.ingest.extract.ImageTextReader;
import io.streamrag.ingest.extract.OcrSettings;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.records.PageText;
import org.apache.flink.configuration.Configuration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an evaluation set against what the ingest job itself reads, beside {@code eval/verify.sh} (which uses
 * poppler's tools): every {@code text}/{@code table} answer must stand in the job's {@link DocumentExtractor} text of
 * its page, every {@code image} answer in the OCR (the job's reader, default settings) of an image the extractor keeps
 * on its page, both as {@code bin/rag sweep} matches answers. Prints the failures and "N passed, M failed"; exits 1 on
 * any failure.
 *
 * <pre>{@code ExtractorCheck DOCS_DIR QUESTIONS.jsonl [FIRST_LINE]}</pre>
 */
public final class ExtractorCheck {

    private ExtractorCheck() {}

    public static void main(String[] args) throws Exception {
        Path docs = Path.of(args[0]);
        List<String> lines = Files.readAllLines(Path.of(args[1]));
        int first = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        Configuration conf = new Configuration();
        DocumentExtractor extractor = new DocumentExtractor(ExtractionLimits.from(conf));
        Map<String, ExtractedDocument> extracted = new HashMap<>();
        Map<PageImage, String> ocr = new HashMap<>();
        int passed = 0;
        int failed = 0;
        try (ImageTextReader reader = ImageTextReader.create(OcrSettings.from(conf))) {
            for (int i = first - 1; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                JsonNode q = Json.MAPPER.readTree(lines.get(i));
                String documentId = q.get("documentId").asText();
                int page = q.get("page").asInt();
                String expected = q.get("expected").asText();
                String kind = q.path("kind").asText("text");
                ExtractedDocument doc = extracted.computeIfAbsent(documentId, id -> extract(extractor, docs.resolve(id + ".pdf")));
                boolean found = false;
                if ("image".equals(kind)) {
                    for (PageImage image : doc.images) {
                        if (image.page == page && !found) {
                            String text = ocr.computeIfAbsent(image, im -> read(reader, im));
                            found = SweepCommand.matches(text, expected);
                        }
                    }
                } else {
                    for (PageText p : doc.pages) {
                        found |= p.page == page && SweepCommand.matches(p.text, expected);
                    }
                }
                if (found) {
                    passed++;
                } else {
                    failed++;
                    System.out.printf("FAIL line %d (%s, %s p.%d): '%s'%n", i + 1, kind, documentId, page, expected);
                }
            }
        }
        System.out.printf("%d passed, %d failed%n", passed, failed);
        System.exit(failed == 0 ? 0 : 1);
    }

    private static ExtractedDocument extract(DocumentExtractor extractor, Path pdf) {
        try {
            return extractor.extract(Files.readAllBytes(pdf), ContentTypes.PDF);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot extract " + pdf + ": " + e, e);
        }
    }

    private static String read(ImageTextReader reader, PageImage image) {
        try {
            return reader.read(image.bytes);
        } catch (Exception e) {
            return "";
        }
    }
}
