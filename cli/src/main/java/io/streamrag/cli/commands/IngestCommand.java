package io.streamrag.cli.commands;

import io.streamrag.cli.Errors;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.KafkaTools;
import io.streamrag.cli.Terminal;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.Identity;
import io.streamrag.common.records.IngestOutcome.Outcome;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** {@code rag ingest}: one document event per file, optionally waiting until each is indexed or dead-lettered. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Produce a document event for each file (folders are walked) to the documents topic.",
            "With --wait the exit status is 5 when any document was dead-lettered, 6 when outcomes were missing at --timeout."})
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

    @Option(names = "--timeout", defaultValue = "10m", description = "How long --wait waits: 30s, 10m, 1h (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--json", description = "Print one JSON document on stdout (events sent; with --wait every outcome and what is "
            + "still pending); the per-document lines go to stderr.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String unfit = Identity.unfit("tenant", tenant, Identity.MAX_TENANT_BYTES);
        if (unfit != null) {
            System.err.println("--tenant: " + unfit); // the job would dead-letter every document for it
            return ExitCodes.USAGE;
        }
        List<DocumentEvent> events;
        try {
            events = events(paths, tenant);
        } catch (IllegalArgumentException e) {
            System.err.println("rag ingest: " + e.getMessage()); // bad arguments: one line, not a stack trace
            return ExitCodes.USAGE;
        }
        if (events.isEmpty()) {
            System.err.println("No ingestible files (" + String.join(", ", EXTENSIONS) + ") under " + paths);
            return ExitCodes.USAGE;
        }
        // With --json stdout carries the JSON document alone; what a person reads goes to stderr.
        PrintStream human = json ? System.err : System.out;
        OutcomeWatcher watcher;
        try {
            // The watcher reads from the outcomes' end, so it starts before the send to miss none.
            watcher = wait ? OutcomeWatcher.start(connection) : null;
        } catch (RuntimeException e) {
            return notSent(e);
        }
        try {
            send(connection, events);
        } catch (IOException | RuntimeException e) {
            if (watcher != null) {
                watcher.close();
            }
            return notSent(e);
        }
        human.printf("Sent %d document event(s) to '%s' (tenant %s).%n", events.size(), connection.documentsTopic, tenant);
        OutcomeWatcher.Result result = null;
        if (watcher != null) {
            try (watcher) {
                result = watcher.await(events, timeout, human, !json && Terminal.interactive());
            }
        }
        int exit = result == null ? ExitCodes.OK : result.exitCode();
        if (json) {
            System.out.println(Json.toString(report(events, result, exit)));
        }
        return exit;
    }

    /**
     * Nothing was sent: Kafka out of reach, or a client it cannot build (a bootstrap server without a port). One line
     * with the cause, no stack trace; with {@code --json} the document with nothing sent. Exit 1.
     */
    private int notSent(Exception e) {
        String error = Errors.oneLine(e);
        System.err.println("rag ingest: " + error);
        if (json) {
            Map<String, Object> r = report(List.of(), null, ExitCodes.ERROR);
            r.put("error", error);
            System.out.println(Json.toString(r));
        }
        return ExitCodes.ERROR;
    }

    /** The {@code --json} document: what was sent and, after {@code --wait}, what became of it. */
    private Map<String, Object> report(List<DocumentEvent> events, OutcomeWatcher.Result result, int exit) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("topic", connection.documentsTopic);
        r.put("tenant", tenant);
        r.put("sent", events.stream().map(e -> e.documentId).collect(Collectors.toList()));
        if (result != null) {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (Outcome o : Outcome.values()) {
                counts.put(o.toString(), result.count(o));
            }
            r.put("counts", counts);
            r.put("outcomes", result.outcomes);
            r.put("pending", result.pending);
        }
        r.put("exitCode", exit);
        return r;
    }

    /** Sends the events; throws when any was not written (nothing is reported as sent that Kafka did not take). */
    static void send(Connection connection, List<DocumentEvent> events) throws IOException {
        Properties client = connection.kafka();
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (DocumentEvent e : events) {
            records.add(new ProducerRecord<>(connection.documentsTopic, e.documentId, Json.toString(e)));
        }
        try (KafkaProducer<String, String> producer = KafkaTools.producer(client)) {
            KafkaTools.sendAll(producer, connection.bootstrap, records);
        }
    }

    /**
     * One event per ingestible file. A folder's files get their path relative to that folder as documentId
     * ({@code a/guide.pdf} and {@code b/guide.pdf} under one folder are two documents); a file given directly gets its
     * name. Two files that would get the same documentId in one run are an error rather than a silent overwrite.
     * Arguments that cannot be ingested (a missing path, a clash, an id the job refuses) throw IllegalArgumentException.
     */
    static List<DocumentEvent> events(List<Path> paths, String tenant) throws IOException {
        List<DocumentEvent> events = new ArrayList<>();
        Map<String, Path> seen = new HashMap<>();
        for (Path p : paths) {
            Path base;
            List<Path> files;
            if (Files.isDirectory(p)) {
                base = p.toAbsolutePath().normalize();
                try (Stream<Path> walk = Files.walk(p)) {
                    files = walk.filter(Files::isRegularFile).filter(IngestCommand::ingestible).sorted().collect(Collectors.toList());
                }
            } else if (Files.isRegularFile(p)) {
                base = p.toAbsolutePath().normalize().getParent();
                files = List.of(p);
            } else {
                throw new IllegalArgumentException("No such file or folder: " + p);
            }
            for (Path f : files) {
                Path abs = f.toAbsolutePath().normalize();
                String id = documentId(base.relativize(abs));
                String unfit = Identity.unfit("documentId", id, Identity.MAX_ID_BYTES);
                if (unfit != null) {
                    throw new IllegalArgumentException(abs + ": " + unfit + " (its path below the folder given is its documentId)");
                }
                Path other = seen.putIfAbsent(id, abs);
                if (other != null && other.equals(abs)) {
                    continue; // the same file named twice (a folder and a file in it): one event
                }
                if (other != null) {
                    throw new IllegalArgumentException("Both " + other + " and " + abs + " would be documentId '" + id + "': "
                            + clash(other, abs));
                }
                events.add(event(abs, id, tenant));
            }
        }
        return events;
    }

    /** Why two files got one documentId, and what to do about it. */
    static String clash(Path one, Path other) {
        if (!stem(one).equals(stem(other))) {
            // "My Guide.pdf" and "My-Guide.pdf": no folder helps.
            return "characters other than letters, digits, '.', '_' and '-' become '-' in it; rename one of them";
        }
        if (one.getParent().equals(other.getParent())) {
            // Files beside each other differ only by extension, which the documentId leaves out: no folder helps.
            return "the extension is not part of it; rename one of them (a later run with the other would replace it)";
        }
        return "ingest their common parent folder instead, so their relative paths tell them apart";
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /**
     * The relative path with '/' separators and without the file extension (so a flat folder keeps the ids of
     * earlier releases); characters outside {@code [A-Za-z0-9._-]} in a segment become '-'.
     */
    static String documentId(Path relative) {
        List<String> segments = new ArrayList<>();
        for (int i = 0; i < relative.getNameCount(); i++) {
            String name = relative.getName(i).toString();
            if (i == relative.getNameCount() - 1) {
                int dot = name.lastIndexOf('.');
                name = dot > 0 ? name.substring(0, dot) : name;
            }
            segments.add(name.replaceAll("[^A-Za-z0-9._-]", "-"));
        }
        return String.join("/", segments);
    }

    static boolean ingestible(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1));
    }

    /** Version from the modification time, so an edited file replaces the old one. */
    private static DocumentEvent event(Path abs, String documentId, String tenant) throws IOException {
        DocumentEvent e = new DocumentEvent();
        e.documentId = documentId;
        e.tenant = tenant;
        e.version = Files.getLastModifiedTime(abs).toMillis();
        e.op = DocumentEvent.Op.UPSERT;
        e.uri = abs.toUri().toString();
        e.title = abs.getFileName().toString();
        e.metadata.put("source", "rag ingest");
        return e;
    }
}
