package io.streamrag.bench.ingest;

import io.streamrag.common.embedding.OnnxMiniLm;
import io.streamrag.common.opensearch.ChunkIndex;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.DocumentParser;
import dev.langchain4j.data.document.loader.FileSystemDocumentLoader;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingStoreIngestor;
import dev.langchain4j.store.embedding.opensearch.OpenSearchEmbeddingStore;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.mapping.Property;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain langchain4j loader of issue 12, as a new user would write it: {@code FileSystemDocumentLoader} +
 * {@code ApachePdfBoxDocumentParser}, {@code DocumentSplitters.recursive(256, 32)}, {@code EmbeddingStoreIngestor}
 * with langchain4j's quantized all-MiniLM-L6-v2 into its {@code OpenSearchEmbeddingStore}, one file after another.
 * Two things it needs that a user on this node would also need: the index is created beforehand with the Lucene
 * k-NN engine (the store's default mapping picks faiss, which kills an OpenSearch 2.19 node without native
 * libraries), and the PDFBox 2 parser runs in its own class loader beside the jobs' PDFBox 3.
 */
final class PlainLangchain4jLoader {

    /** Packages the parser's class loader defines itself instead of asking the application's (PDFBox 3) first. */
    private static final String[] OWN_PACKAGES = {"org.apache.pdfbox.", "org.apache.fontbox.", "dev.langchain4j.data.document.parser.apache.pdfbox."};
    private static final String[] JARS = {"langchain4j-document-parser-apache-pdfbox.jar", "pdfbox.jar", "fontbox.jar"};

    private final String serverUrl;
    private final String index;
    private final EmbeddingModel model = quantizedMiniLm();

    /** The stock model, as a plain loader builds it; without DJL's telemetry, as the pipeline's own. */
    private static EmbeddingModel quantizedMiniLm() {
        OnnxMiniLm.optOutOfDjlTelemetry();
        return new AllMiniLmL6V2QuantizedEmbeddingModel();
    }

    PlainLangchain4jLoader(String serverUrl, String index) {
        this.serverUrl = serverUrl;
        this.index = index;
    }

    /** Creates the store's index with the store's field names and a Lucene HNSW vector (see the class comment). */
    static void createIndex(OpenSearchClient client, String index, int dimension) throws IOException {
        client.indices().create(c -> c.index(index)
                .settings(s -> s.knn(true).numberOfShards("1").numberOfReplicas("0"))
                .mappings(m -> m
                        .properties("text", Property.of(p -> p.text(t -> t)))
                        .properties("vector", Property.of(p -> p.knnVector(v -> v.dimension(dimension)
                                .method(x -> x.name("hnsw").engine(ChunkIndex.KNN_ENGINE).spaceType("cosinesimil")))))));
    }

    /** Loads, splits, embeds and stores every file, one after another. */
    void ingest(List<Path> files) throws Exception {
        OpenSearchEmbeddingStore store = OpenSearchEmbeddingStore.builder().serverUrl(serverUrl).indexName(index).build();
        EmbeddingStoreIngestor ingestor = EmbeddingStoreIngestor.builder()
                .documentSplitter(DocumentSplitters.recursive(256, 32))
                .embeddingModel(model)
                .embeddingStore(store)
                .build();
        try (URLClassLoader loader = parserClassLoader()) {
            DocumentParser parser = (DocumentParser) loader
                    .loadClass("dev.langchain4j.data.document.parser.apache.pdfbox.ApachePdfBoxDocumentParser")
                    .getConstructor().newInstance();
            for (Path file : files) {
                Document document = FileSystemDocumentLoader.loadDocument(file, parser);
                ingestor.ingest(document);
            }
        }
    }

    /** The PDFBox 2 parser and its PDFBox, from the jars the build copied into {@code plain-loader/}. */
    private static URLClassLoader parserClassLoader() throws IOException {
        Path dir = Files.createTempDirectory("streamrag-plain-loader");
        List<URL> urls = new ArrayList<>();
        for (String jar : JARS) {
            try (InputStream in = PlainLangchain4jLoader.class.getResourceAsStream("/plain-loader/" + jar)) {
                if (in == null) {
                    throw new IOException("plain-loader/" + jar + " is missing from the bench classes (built by maven-dependency-plugin)");
                }
                Path target = dir.resolve(jar);
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                target.toFile().deleteOnExit();
                urls.add(target.toUri().toURL());
            }
        }
        dir.toFile().deleteOnExit();
        return new URLClassLoader(urls.toArray(new URL[0]), PlainLangchain4jLoader.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                for (String own : OWN_PACKAGES) {
                    if (name.startsWith(own)) {
                        synchronized (getClassLoadingLock(name)) {
                            Class<?> c = findLoadedClass(name);
                            if (c == null) {
                                c = findClass(name);
                            }
                            if (resolve) {
                                resolveClass(c);
                            }
                            return c;
                        }
                    }
                }
                return super.loadClass(name, resolve);
            }
        };
    }
}
