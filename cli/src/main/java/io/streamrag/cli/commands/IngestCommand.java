package io.streamrag.cli.commands;

import io.streamrag.cli.KafkaTools;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.DocumentEvent;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** {@code rag ingest}: one document event per file, optionally waiting until each is indexed or dead-lettered. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Produce a document event for each file (folders are walked) to the documents topic.")
public class IngestCommand implements Callable<Integer> {

    static final Set<String> EXTENSIONS = Set.of("pdf", "txt", "md", "markdown", "html", "htm", "png", "jpg", "jpeg");

    @Mixin
    Connection connection;

    @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "Files or folders to ingest.")
    List<Path> paths;

    @Option(names = "--tenant", defaultValue = "default", description = "Tenant the documents belong to (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--wait", description = "Show progress until each document is indexed or dead-lettered.")
    boolean wait;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "How long --wait waits (ISO-8601, default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        List<DocumentEvent> events = events(collect(paths), tenant);
        if (events.isEmpty()) {
            System.err.println("No ingestible files (" + String.join(", ", EXTENSIONS) + ") under " + paths);
            return 2;
        }
        OutcomeWatcher watcher = wait ? OutcomeWatcher.start(connection) : null;
        send(connection, events);
        System.out.printf("Sent %d document event(s) to '%s' (tenant %s).%n", events.size(), connection.documentsTopic, tenant);
        if (watcher == null) {
            return 0;
        }
        try (watcher) {
            return watcher.await(events, timeout) ? 0 : 1;
        }
    }

    static void send(Connection connection, List<DocumentEvent> events) {
        try (KafkaProducer<String, String> producer = KafkaTools.producer(connection.bootstrap)) {
            for (DocumentEvent e : events) {
                producer.send(new ProducerRecord<>(connection.documentsTopic, e.documentId, Json.toString(e)));
            }
            producer.flush();
        }
    }

    static List<Path> collect(List<Path> paths) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    files.addAll(walk.filter(Files::isRegularFile).filter(IngestCommand::ingestible).sorted().collect(Collectors.toList()));
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new IOException("No such file or folder: " + p);
            }
        }
        return files;
    }

    static boolean ingestible(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1));
    }

    /** Document id from the file name; version from the modification time, so an edited file replaces the old one. */
    static List<DocumentEvent> events(List<Path> files, String tenant) throws IOException {
        List<DocumentEvent> events = new ArrayList<>();
        for (Path f : files) {
            Path abs = f.toAbsolutePath().normalize();
            DocumentEvent e = new DocumentEvent();
            String name = abs.getFileName().toString();
            int dot = name.lastIndexOf('.');
            e.documentId = (dot > 0 ? name.substring(0, dot) : name).replaceAll("[^A-Za-z0-9._-]", "-");
            e.tenant = tenant;
            e.version = Files.getLastModifiedTime(abs).toMillis();
            e.op = DocumentEvent.Op.UPSERT;
            e.uri = abs.toUri().toString();
            e.title = name;
            e.metadata.put("source", "rag ingest");
            events.add(e);
        }
        return events;
    }
}
