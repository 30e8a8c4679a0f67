package io.streamrag.ingest.io.files;

import io.streamrag.common.json.Json;
import io.streamrag.ingest.records.RawDocument;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

import static org.assertj.core.api.Assertions.assertThat;

/** A backfill's file becomes a document event whose uri names that very file, whatever characters its name has. */
class FileReferenceFormatTest {

    @TempDir
    java.nio.file.Path root;

    @Test
    void fileNamesWithSpacesPercentHashAndNonAsciiKeepTheirUri() throws Exception {
        for (String name : new String[] {"my manual.pdf", "a%20b.pdf", "part #2?.pdf", "Handbuch für €.pdf"}) {
            java.nio.file.Path file = Files.createDirectories(root.resolve("sub dir")).resolve(name);
            Files.write(file, new byte[] {1, 2, 3});
            // As a file system lists it: a plain local path, or a file: URI.
            for (Path path : new Path[] {new Path(file.toString()), new Path(file.toUri()), new Path("file:" + file)}) {
                FileSourceSplit split = new FileSourceSplit("0", path, 0, 3, 42L, 3);

                RawDocument raw = new FileReferenceFormat(root.toString(), "acme").toEvent(split);
                JsonNode event = Json.MAPPER.readTree(new String(raw.value, StandardCharsets.UTF_8));

                assertThat(event.get("documentId").asText()).as(path.toString()).isEqualTo("sub dir/" + name);
                String uri = event.get("uri").asText();
                assertThat(uri).startsWith("file:///");
                assertThat(Paths.get(new URI(uri))).as(uri).isEqualTo(file); // as the fetch step reads it
            }
        }
    }

    /** ingest.path naming one file: the root is the file itself, so the relative path is empty; the name is the id. */
    @Test
    void pathNamingOneFileGivesItsNameAsDocumentId() throws Exception {
        java.nio.file.Path file = Files.writeString(root.resolve("guide.txt"), "hello");
        Path path = new Path(file.toUri());
        FileSourceSplit split = new FileSourceSplit("0", new Path("file:" + file), 0, 5, 42L, 5);

        RawDocument raw = new FileReferenceFormat(path.toString(), "acme").toEvent(split);
        JsonNode event = Json.MAPPER.readTree(new String(raw.value, StandardCharsets.UTF_8));

        assertThat(event.get("documentId").asText()).isEqualTo("guide.txt");
        assertThat(raw.key).isEqualTo("guide.txt");
        assertThat(Paths.get(new URI(event.get("uri").asText()))).isEqualTo(file);
    }
}
