package dev.strata.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * {@code java -jar strata-loadtest.jar <command> [--option value]...}: makes a corpus, or drives a relay over plain
 * NIP-01 and writes what it measured to a JSON file and a summary table. Every run is bounded in count and in time
 * and stops by itself; it connects only to the {@code --url} given (loopback by default).
 */
public final class Main {
    static final String USAGE = """
            usage: java -jar strata-loadtest.jar <command> [--option value]...

            commands (defaults in brackets; see loadtest/README.md):
              corpus       --out FILE [corpus.jsonl] --events N [10000] --seed S [1] --authors A [1000]
                           --created-at-base EPOCH [today 00:00 UTC] --span-days D [30] --threads T [cores]
              ingest       --corpus FILE --connections C [4] --window W [50] --rate R [0 = as fast as OKs come]
                           --events N [all] --from I [0] --duration S [300]
              query        --corpus FILE --load M [0 = already loaded] --loaded M [M or all] --connections C [4]
                           --rate R [100 REQ/s] --window W [8 REQs open per connection] --requests N [R x duration]
                           --duration S [30] --limit L [500] --mix ids=20,authors=30,p=15,t=15,window=20
              fanout       --corpus FILE --subscriptions S [1000] --subs-per-connection P [10] --rate R [100]
                           --window W [50] --events N [R x duration] --from I [0] --duration S [30] --drain S [5]
              connections  --connections K [1000] --hold S [60] --open-rate R [1000/s] --max-pending P [256]
                           --source-addresses auto|IP,IP,... [auto]

            every run: --url ws://HOST:PORT/ [ws://127.0.0.1:7777/] --relay-pid PID (RSS figures)
                       --spread-urls URL,... (more gateways of one cluster: ingest and query connections and
                       fanout subscribers alternate over --url and these; not for connections)
                       --results-dir DIR [loadtest-results] --label TEXT --event-loops N [cores]
            query and fanout also take --seed S [1] (which REQs and subscriptions are drawn)
            exit status: 0 the run met its checks, 1 it did not (or failed), 2 bad command line
            """;

    private Main() {
    }

    public static void main(String[] args) {
        int status;
        try {
            JsonObject report = execute(args, System.out);
            status = report.getBoolean("passed", true) ? 0 : 1;
        } catch (Options.UsageException e) {
            System.err.println("strata-loadtest: " + e.getMessage());
            System.err.println();
            System.err.print(USAGE);
            status = 2;
        } catch (Exception e) {
            System.err.println("strata-loadtest: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    /** Runs one command, prints its summary and returns the report (also written to the results directory). */
    static JsonObject execute(String[] args, PrintStream out) throws IOException {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            out.print(USAGE);
            return new JsonObject().put("passed", true);
        }
        String command = args[0];
        Options o = Options.parse(args, 1);
        if (command.equals("corpus")) {
            return corpus(o, out);
        }
        if (!List.of("ingest", "query", "fanout", "connections").contains(command)) {
            throw new Options.UsageException("unknown command \"" + command + "\"");
        }
        Target target = Target.parse(o.string("url", Target.DEFAULT_URL));
        List<Target> spread = new java.util.ArrayList<>();
        if (!command.equals("connections")) {
            for (String url : o.string("spread-urls", "").split(",")) {
                if (!url.isBlank()) {
                    spread.add(Target.parse(url.trim()));
                }
            }
        }
        long relayPid = o.longValue("relay-pid", 0, 0, Long.MAX_VALUE);
        Path resultsDir = o.path("results-dir", "loadtest-results");
        String label = o.string("label", "");
        int eventLoops = o.integer("event-loops", Runtime.getRuntime().availableProcessors(), 1, 1024);
        boolean deflate = o.flag("deflate");
        Corpus corpus = command.equals("connections") ? null : Corpus.load(o.path("corpus", null));

        // Every option is read into a plan before any connection, so a typo is refused before any load.
        Object plan = switch (command) {
            case "ingest" -> IngestScenario.plan(o, corpus);
            case "query" -> QueryScenario.plan(o, corpus);
            case "fanout" -> FanoutScenario.plan(o, corpus);
            default -> ConnectionsScenario.plan(o, target);
        };
        o.checkAllRead();

        Instant started = Instant.now();
        long relayRssBefore = ProcessMemory.rssKiB(relayPid);
        // Relay and harness share the machine: what each took of it says who limited the run.
        long relayCpuBefore = ProcessMemory.cpuMillis(relayPid);
        long harnessCpuBefore = ProcessMemory.cpuMillis(ProcessHandle.current().pid());
        long wallBefore = System.nanoTime();
        Outcome outcome;
        JsonObject nip11;
        try (Harness h = new Harness(target, spread, eventLoops, deflate)) {
            nip11 = target.relayInformation(h.vertx);
            outcome = switch (command) {
                case "ingest" -> IngestScenario.run(h, corpus, (IngestScenario.Plan) plan);
                case "query" -> QueryScenario.run(h, corpus, (QueryScenario.Plan) plan);
                case "fanout" -> FanoutScenario.run(h, corpus, (FanoutScenario.Plan) plan);
                default -> ConnectionsScenario.run(h, (ConnectionsScenario.Plan) plan, relayPid);
            };
        }
        Instant finished = Instant.now();
        double wallSeconds = (System.nanoTime() - wallBefore) / 1e9;
        long relayCpu = relayPid <= 0 || relayCpuBefore < 0 ? -1 : ProcessMemory.cpuMillis(relayPid) - relayCpuBefore;
        long harnessCpu = ProcessMemory.cpuMillis(ProcessHandle.current().pid()) - harnessCpuBefore;
        JsonObject cpu = new JsonObject().put("wall_seconds", IngestScenario.round(wallSeconds))
                .put("relay_cpu_seconds", relayCpu < 0 ? null : IngestScenario.round(relayCpu / 1000.0))
                .put("harness_cpu_seconds", IngestScenario.round(harnessCpu / 1000.0));
        List<String[]> rows = new ArrayList<>(outcome.table());
        rows.add(new String[] {"CPU used (whole run)", String.format(Locale.ROOT,
                "relay %s, harness %.1f s, over %.1f s",
                relayCpu < 0 ? "unknown (no --relay-pid)" : String.format(Locale.ROOT, "%.1f s", relayCpu / 1000.0),
                harnessCpu / 1000.0, wallSeconds)});
        outcome = new Outcome(outcome.results(), rows, outcome.passed(), outcome.verdict());
        JsonObject report = new JsonObject()
                .put("scenario", command)
                .put("started_at", started.toString())
                .put("finished_at", finished.toString())
                .put("passed", outcome.passed())
                .put("verdict", outcome.verdict())
                .put("command", String.join(" ", args))
                .put("label", label)
                .put("target", new JsonObject().put("url", target.url()).put("nip11", nip11))
                .put("relay_pid", relayPid)
                .put("relay_rss_kib", new JsonObject().put("before", relayRssBefore)
                        .put("after", ProcessMemory.rssKiB(relayPid)))
                .put("cpu", cpu)
                .put("machine", machine())
                .put("params", o.used())
                .put("results", outcome.results());
        Path file = write(resultsDir, command, started, report);
        printTable(out, command, target, outcome, file);
        return report;
    }

    private static JsonObject corpus(Options o, PrintStream out) throws IOException {
        Path file = o.path("out", "corpus.jsonl");
        int events = o.integer("events", 10_000, 1, 100_000_000);
        long base = o.longValue("created-at-base",
                LocalDate.now(ZoneOffset.UTC).atStartOfDay().toEpochSecond(ZoneOffset.UTC), 0, Long.MAX_VALUE / 4);
        CorpusGenerator.Params params = new CorpusGenerator.Params(o.longValue("seed", 1, Long.MIN_VALUE,
                Long.MAX_VALUE), events, o.integer("authors", 1000, 1, 10_000_000), base,
                o.longValue("span-days", 30, 1, 36_500) * 86_400);
        int threads = o.integer("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        o.checkAllRead();
        long t0 = System.nanoTime();
        CorpusGenerator generator = new CorpusGenerator(params);
        CorpusGenerator.Summary summary = generator.write(file, threads);
        double seconds = (System.nanoTime() - t0) / 1e9;
        JsonObject meta = new JsonObject()
                .put("file", file.toString())
                .put("generated_at", Instant.now().toString())
                .put("params", o.used())
                .put("signature_engine", generator.engineName())
                .put("seconds", IngestScenario.round(seconds))
                .put("corpus", CorpusGenerator.toJson(summary))
                .put("passed", true);
        Files.writeString(Path.of(file + ".meta.json"), meta.encodePrettily() + "\n", StandardCharsets.UTF_8);
        out.printf(Locale.ROOT, "corpus: %d events (%.1f MiB) by %d authors in %s, signed with %s in %.1f s "
                        + "(%.0f events/s); kinds %s; created_at %d..%d%n",
                summary.events(), summary.jsonBytes() / 1048576.0, params.authors(), file, generator.engineName(),
                seconds, summary.events() / seconds, summary.kinds(), summary.minCreatedAt(), summary.maxCreatedAt());
        return meta;
    }

    private static JsonObject machine() {
        Runtime rt = Runtime.getRuntime();
        return new JsonObject()
                .put("cores", rt.availableProcessors())
                .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"))
                .put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
                .put("vertx", vertxVersion())
                .put("harness", version())
                .put("client_max_heap_mib", rt.maxMemory() >> 20);
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    private static String vertxVersion() {
        try (InputStream in = Future.class.getClassLoader().getResourceAsStream("META-INF/vertx/vertx-version.txt")) {
            return in == null ? "unknown" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Path write(Path dir, String command, Instant started, JsonObject report) throws IOException {
        Files.createDirectories(dir);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(started);
        Path file = dir.resolve(command + "-" + stamp + ".json");
        for (int n = 2; Files.exists(file); n++) {
            file = dir.resolve(command + "-" + stamp + "-" + n + ".json");
        }
        Files.writeString(file, report.encodePrettily() + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private static void printTable(PrintStream out, String command, Target target, Outcome outcome, Path file) {
        int width = 0;
        for (String[] row : outcome.table()) {
            width = Math.max(width, row[0].length());
        }
        out.println();
        out.println(command + " against " + target.url() + ": " + (outcome.passed() ? "PASSED" : "FAILED — "
                + outcome.verdict()));
        out.println("-".repeat(Math.min(100, width + 60)));
        for (String[] row : outcome.table()) {
            out.printf(Locale.ROOT, "%-" + width + "s  %s%n", row[0], row[1]);
        }
        out.println("-".repeat(Math.min(100, width + 60)));
        out.println("results: " + file);
    }

    /** Waits on the calling (non-event-loop) thread, with a deadline. */
    static <T> T await(Future<T> future, long seconds, String what) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("gave up " + what + " after " + seconds + " s");
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted " + what, e);
        }
    }
}
