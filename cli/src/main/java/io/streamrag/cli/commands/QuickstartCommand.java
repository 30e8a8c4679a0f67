package io.streamrag.cli.commands;

import io.streamrag.cli.Home;
import io.streamrag.cli.SampleDocuments;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.Question;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

/** {@code rag quickstart}: up, ingest the sample documents, ask sample questions and print the answers. */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Bring everything up, ingest the sample documents, ask sample questions and print the answers with citations.")
public class QuickstartCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        System.out.println("== 1/3 Starting Kafka, OpenSearch, the local model endpoint and the Flink cluster");
        UpCommand.up(connection, new LinkedHashMap<>());

        Path samples = Home.state().resolve("samples");
        List<Path> files = SampleDocuments.write(samples);
        System.out.println();
        System.out.println("== 2/3 Ingesting the sample documents from " + samples);
        List<DocumentEvent> events = IngestCommand.events(files, "default");
        boolean indexed;
        try (OutcomeWatcher watcher = OutcomeWatcher.start(connection)) {
            IngestCommand.send(connection, events);
            indexed = watcher.await(events, Duration.ofMinutes(5));
        }
        if (!indexed) {
            System.err.println("The samples were not indexed in time; see bin/rag status and .state/logs/flink-taskmanager-*.log");
            return 1;
        }

        System.out.println();
        System.out.println("== 3/3 Asking questions (N=5 candidates each, self-consistency vote)");
        List<Question> questions = new ArrayList<>();
        Map<String, String[]> byId = new LinkedHashMap<>();
        for (String[] qa : SampleDocuments.quickstartQuestions()) {
            Question q = new Question();
            q.questionId = "quickstart-" + UUID.randomUUID();
            q.tenant = "default";
            q.text = qa[0];
            q.n = 5;
            questions.add(q);
            byId.put(q.questionId, qa);
        }
        Map<String, String> answers = AskCommand.askAll(connection, questions, Duration.ofMinutes(3));
        int answered = 0;
        for (Question q : questions) {
            String raw = answers.get(q.questionId);
            System.out.println();
            if (raw == null) {
                System.out.println("Q: " + q.text + "\nA: (no answer in time)");
                continue;
            }
            Answer a = Json.fromString(raw, Answer.class);
            AskCommand.print(a, q.text, System.out);
            String[] qa = byId.get(q.questionId);
            System.out.println("   expected: " + qa[1] + " (" + qa[2] + ", page " + qa[3] + ")");
            if (a.status == Answer.Status.ANSWERED) {
                answered++;
            }
        }
        System.out.println();
        System.out.printf("Quick start done in %.0f s: %d/%d questions answered.%n", (System.nanoTime() - t0) / 1e9,
                answered, questions.size());
        System.out.println("Dashboard:  http://127.0.0.1:8081 (both jobs, named operators, metrics)");
        System.out.println("Try:        bin/rag ask \"How often should the fan filter be replaced?\"");
        System.out.println("            bin/rag ingest --wait path/to/your.pdf ; bin/rag status");
        System.out.println("            bin/rag sweep " + samples.resolve(SampleDocuments.QUESTIONS));
        System.out.println("Stop:       bin/rag down");
        return answered == questions.size() ? 0 : 1;
    }
}
