package io.streamrag.ingest.io.files;

import io.streamrag.common.json.Json;
import io.streamrag.ingest.records.RawDocument;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.SingletonResultIterator;
import org.apache.flink.core.fs.Path;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * A FileSource format that turns each file into one document event (not its bytes): documentId is the path
 * relative to the backfill root (the file's name when the root is that file), uri the file's URI, version its modification time, tenant from configuration.
 * FetchContent then reads the content like any other uri, so limits and type detection apply unchanged.
 */
public class FileReferenceFormat implements BulkFormat<RawDocument, FileSourceSplit> {
    private static final long serialVersionUID = 1L;

    private final String root;
    private final String tenant;

    public FileReferenceFormat(String root, String tenant) {
        this.root = root;
        this.tenant = tenant;
    }

    @Override
    public Reader<RawDocument> createReader(Configuration config, FileSourceSplit split) {
        return new OneRecordReader(toEvent(split), false);
    }

    @Override
    public Reader<RawDocument> restoreReader(Configuration config, FileSourceSplit split) {
        // A restored split whose record was already emitted has nothing left to give.
        boolean emitted = split.getReaderPosition().map(p -> p.getRecordsAfterOffset() > 0).orElse(false);
        return new OneRecordReader(toEvent(split), emitted);
    }

    RawDocument toEvent(FileSourceSplit split) {
        Path path = split.path();
        URI uri = path.toUri();
        String rootPath = new Path(root).toUri().getPath();
        String filePath = uri.getPath();
        String relative = filePath.startsWith(rootPath) ? filePath.substring(rootPath.length()) : filePath;
        while (relative.startsWith("/")) {
            relative = relative.substring(1);
        }
        if (relative.isEmpty()) {
            relative = path.getName(); // ingest.path names this one file: it is its own root
        }
        String fileUri = uri.getScheme() == null || "file".equals(uri.getScheme()) ? fileUri(filePath) : uri.toASCIIString();
        ObjectNode event = Json.MAPPER.createObjectNode();
        event.put("documentId", relative);
        event.put("tenant", tenant);
        event.put("version", split.fileModificationTime());
        event.put("op", "UPSERT");
        event.put("uri", fileUri);
        event.put("title", path.getName());
        return new RawDocument(relative, Json.toString(event).getBytes(StandardCharsets.UTF_8), System.currentTimeMillis(), "file");
    }

    /**
     * {@code file:///...} with the path percent-encoded (spaces, {@code %}, {@code #}, {@code ?}, non-ASCII): the
     * decoded path pasted after {@code file://} made "my manual.pdf" an invalid uri and "a#b.pdf" another file.
     */
    static String fileUri(String path) {
        try {
            return new URI("file", "", path, null, null).toASCIIString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Not a file path: " + path, e);
        }
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<RawDocument> getProducedType() {
        return TypeInformation.of(RawDocument.class);
    }

    /** Emits its one record once. */
    private static final class OneRecordReader implements Reader<RawDocument> {
        private final RawDocument record;
        private boolean emitted;

        OneRecordReader(RawDocument record, boolean emitted) {
            this.record = record;
            this.emitted = emitted;
        }

        @Override
        public RecordIterator<RawDocument> readBatch() {
            if (emitted) {
                return null;
            }
            emitted = true;
            SingletonResultIterator<RawDocument> it = new SingletonResultIterator<>();
            it.set(record, CheckpointedPosition.NO_OFFSET, 1);
            return it;
        }

        @Override
        public void close() {}
    }
}
