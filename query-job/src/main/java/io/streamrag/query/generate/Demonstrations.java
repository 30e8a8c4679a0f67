package io.streamrag.query.generate;

import com.fasterxml.jackson.core.type.TypeReference;
import io.streamrag.common.json.Json;
import io.streamrag.query.records.RetrievedChunk;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** DRAG in-context demonstrations, each with its own retrieved documents; bundled or from a file. */
public final class Demonstrations {

    public static final String RESOURCE = "/drag-demonstrations.json";

    /** One worked example. */
    public static class Demonstration {
        public String question;
        public List<Document> documents = new ArrayList<>();
        public String reasoning;
        public String answer;
        public List<Integer> sources = new ArrayList<>();

        public Demonstration() {}

        List<RetrievedChunk> chunks() {
            List<RetrievedChunk> out = new ArrayList<>();
            for (Document d : documents) {
                RetrievedChunk c = new RetrievedChunk();
                c.documentId = d.documentId;
                c.page = d.page;
                c.title = d.title;
                c.text = d.text;
                out.add(c);
            }
            return out;
        }
    }

    /** A document retrieved for a demonstration. */
    public static class Document {
        public String documentId;
        public int page = 1;
        public String title;
        public String text;

        public Document() {}
    }

    private Demonstrations() {}

    /** Loads {@code file} if given, else the bundled set. */
    public static List<Demonstration> load(String file) {
        try (InputStream in = file == null || file.isBlank()
                ? Demonstrations.class.getResourceAsStream(RESOURCE)
                : Files.newInputStream(Path.of(file))) {
            if (in == null) {
                throw new IOException("Missing resource " + RESOURCE);
            }
            return Json.MAPPER.readValue(in, new TypeReference<List<Demonstration>>() {});
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read DRAG demonstrations " + (file == null ? RESOURCE : file), e);
        }
    }
}
