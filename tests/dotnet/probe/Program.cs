// dnprobe: a .NET app that reports what the container gives it, for the pith .NET tests.
// Every subcommand prints a first line early so a harness can time "first line" and know the
// app reached managed code; results are printed as single lines the C tests can grep.
using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Linq.Expressions;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DnProbe;

public static class Program
{
	static readonly Stopwatch Clock = Stopwatch.StartNew();

	public static int Main(string[] args)
	{
		if (args.Length == 0) {
			Console.Error.WriteLine("usage: dnprobe info|signals|host|alloc|orphans|orphans-child|log|jit|mmf|plain [options]");
			return 2;
		}
		var rest = args.Skip(1).ToArray();
		switch (args[0]) {
		case "info": return Info.Run();
		case "signals": return Signals.Run(rest);
		case "host": return HostCmd.Run(rest);
		case "alloc": return Alloc.Run(rest);
		case "orphans": return Orphans.Run(rest);
		case "orphans-child": return Orphans.Child(rest);
		case "log": return LogCmd.Run(rest);
		case "jit": return Jit.Run(rest);
		case "mmf": return Mmf.Run();
		case "plain": return Plain.Run();
		default:
			Console.Error.WriteLine($"dnprobe: unknown subcommand {args[0]}");
			return 2;
		}
	}

	public static long Ms => Clock.ElapsedMilliseconds;

	// "--name value" lookup with a default; the tests pass few options, so no parser library.
	public static string Opt(string[] args, string name, string dflt)
	{
		int i = Array.IndexOf(args, name);
		return i >= 0 && i + 1 < args.Length ? args[i + 1] : dflt;
	}

	public static string? Positional(string[] args, int index)
	{
		var pos = new List<string>();
		for (int i = 0; i < args.Length; i++) {
			if (args[i].StartsWith("--")) { i++; continue; }
			pos.Add(args[i]);
		}
		return index < pos.Count ? pos[index] : null;
	}
}

static class Info
{
	public static int Run()
	{
		// A collection first, so the GC has published its view of the memory limit.
		GC.Collect();
		var gc = GC.GetGCMemoryInfo();
		using var stdout = Console.OpenStandardOutput();
		using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = false });
		w.WriteStartObject();
		w.WriteNumber("processorCount", Environment.ProcessorCount);
		w.WriteNumber("totalAvailableMemoryBytes", gc.TotalAvailableMemoryBytes);
		w.WriteNumber("highMemoryLoadThresholdBytes", gc.HighMemoryLoadThresholdBytes);
		w.WriteBoolean("isServerGC", GCSettings.IsServerGC);
		w.WriteString("osArchitecture", RuntimeInformation.OSArchitecture.ToString());
		w.WriteString("processArchitecture", RuntimeInformation.ProcessArchitecture.ToString());
		w.WriteString("framework", RuntimeInformation.FrameworkDescription);
		w.WriteNumber("pid", Environment.ProcessId);
		w.WriteStartObject("gcConfig");
		foreach (var kv in GC.GetConfigurationVariables().OrderBy(k => k.Key))
			w.WriteString(kv.Key, Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture));
		w.WriteEndObject();
		w.WriteStartObject("env");
		foreach (var name in new[] { "HOME", "TMPDIR", "PATH", "LANG" })
			w.WriteString(name, Environment.GetEnvironmentVariable(name));
		foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) {
			var k = (string)e.Key;
			if (k.StartsWith("DOTNET_") || k.StartsWith("ASPNETCORE_"))
				w.WriteString(k, (string?)e.Value);
		}
		w.WriteEndObject();
		w.WriteStartObject("status");
		foreach (var line in File.ReadAllLines("/proc/self/status")) {
			int colon = line.IndexOf(':');
			if (colon < 0)
				continue;
			var key = line[..colon];
			if (key is "SigBlk" or "SigIgn" or "SigCgt" or "SigPnd" or "ShdPnd" or "NoNewPrivs" or "Seccomp")
				w.WriteString(key, line[(colon + 1)..].Trim());
		}
		w.WriteEndObject();
		w.WriteStartArray("cgroup");
		foreach (var line in ReadLinesOrEmpty("/proc/self/cgroup"))
			w.WriteStringValue(line);
		w.WriteEndArray();
		w.WriteEndObject();
		w.Flush();
		stdout.Write("\n"u8);
		return 0;
	}

	static string[] ReadLinesOrEmpty(string path)
	{
		try { return File.ReadAllLines(path); } catch (IOException) { return Array.Empty<string>(); }
	}
}

static class Signals
{
	// signals [--exit N] [--delay S]: handle TERM/INT/QUIT/HUP, print what arrived, exit with N.
	public static int Run(string[] args)
	{
		int code = int.Parse(Program.Opt(args, "--exit", "0"));
		double delay = double.Parse(Program.Opt(args, "--delay", "0"), System.Globalization.CultureInfo.InvariantCulture);
		var done = new ManualResetEventSlim();
		string? got = null;
		AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine($"processexit t={Program.Ms}");
		var regs = new List<PosixSignalRegistration>();
		foreach (var sig in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGHUP }) {
			regs.Add(PosixSignalRegistration.Create(sig, ctx => {
				ctx.Cancel = true;
				lock (done) {
					if (got == null)
						got = ctx.Signal.ToString();
				}
				Console.WriteLine($"got {ctx.Signal} t={Program.Ms}");
				done.Set();
			}));
		}
		Console.WriteLine($"signals ready pid={Environment.ProcessId} t={Program.Ms}");
		done.Wait();
		if (delay > 0)
			Thread.Sleep(TimeSpan.FromSeconds(delay));
		Console.WriteLine($"exiting code={code} signal={got} t={Program.Ms}");
		GC.KeepAlive(regs);
		return code;
	}
}

static class HostCmd
{
	// host --stop-delay S: a Generic Host whose only hosted service takes S seconds to stop.
	public static int Run(string[] args)
	{
		double delay = double.Parse(Program.Opt(args, "--stop-delay", "0"), System.Globalization.CultureInfo.InvariantCulture);
		var builder = Host.CreateApplicationBuilder(Array.Empty<string>());
		builder.Logging.ClearProviders();
		// The host must not give up before the service does: the container's stop timeout decides.
		builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(delay + 60));
		builder.Services.AddSingleton(new SlowStop(TimeSpan.FromSeconds(delay)));
		builder.Services.AddHostedService(sp => sp.GetRequiredService<SlowStop>());
		using var host = builder.Build();
		var life = host.Services.GetRequiredService<IHostApplicationLifetime>();
		life.ApplicationStarted.Register(() => Console.WriteLine($"host started pid={Environment.ProcessId} t={Program.Ms}"));
		life.ApplicationStopping.Register(() => Console.WriteLine($"host stopping t={Program.Ms}"));
		host.Run();
		Console.WriteLine($"host stopped t={Program.Ms}");
		return 0;
	}

	sealed class SlowStop(TimeSpan delay) : IHostedService
	{
		public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

		public async Task StopAsync(CancellationToken ct)
		{
			Console.WriteLine($"service stop begin delay={delay.TotalSeconds} t={Program.Ms}");
			await Task.Delay(delay, CancellationToken.None);
			Console.WriteLine($"service stop end t={Program.Ms}");
		}
	}
}

static class Alloc
{
	// alloc MB [--native]: allocate and touch MB mebibytes, 1 MiB at a time, then hold them.
	public static unsafe int Run(string[] args)
	{
		int mb = int.Parse(Program.Positional(args, 0) ?? "1024");
		bool native = args.Contains("--native");
		var keep = new List<byte[]>();
		Console.WriteLine($"alloc start mb={mb} native={native} t={Program.Ms}");
		for (int i = 1; i <= mb; i++) {
			if (native) {
				byte* p = (byte*)NativeMemory.Alloc(1 << 20);
				new Span<byte>(p, 1 << 20).Fill((byte)i);
			} else {
				var a = new byte[1 << 20];
				a.AsSpan().Fill((byte)i);
				keep.Add(a);
			}
			if (i % 16 == 0)
				Console.WriteLine($"alloc {i} MiB");
		}
		Console.WriteLine($"alloc holding mb={mb}");
		Thread.Sleep(Timeout.Infinite);
		GC.KeepAlive(keep);
		return 0;
	}
}

static class Orphans
{
	// orphans N: a child process spawns N short-lived grandchildren it never reaps, then exits,
	// so N zombies are re-parented to the container's init. Then count zombies we can see.
	public static int Run(string[] args)
	{
		int n = int.Parse(Program.Positional(args, 0) ?? "50");
		var self = Environment.ProcessPath ?? "/usr/share/dotnet/dotnet";
		var psi = new ProcessStartInfo(self) { UseShellExecute = false };
		if (Path.GetFileName(self) == "dotnet")
			psi.ArgumentList.Add(typeof(Program).Assembly.Location);
		psi.ArgumentList.Add("orphans-child");
		psi.ArgumentList.Add(n.ToString());
		using (var child = Process.Start(psi)!) {
			child.WaitForExit();
			Console.WriteLine($"orphans child exited code={child.ExitCode} t={Program.Ms}");
		}
		// Give the init time to reap what it inherited.
		int zombies = -1;
		for (int i = 0; i < 50; i++) {
			zombies = CountZombies();
			if (zombies == 0)
				break;
			Thread.Sleep(100);
		}
		Console.WriteLine($"orphans done zombies={zombies} pid={Environment.ProcessId} t={Program.Ms}");
		if (args.Contains("--hold"))
			Thread.Sleep(Timeout.Infinite);
		return 0;
	}

	public static int Child(string[] args)
	{
		int n = int.Parse(Program.Positional(args, 0) ?? "50");
		string self = Environment.ProcessPath ?? "/usr/share/dotnet/dotnet";
		int spawned = 0;
		for (int i = 0; i < n; i++)
			if (Native.SpawnQuiet(self) > 0)
				spawned++;
		// Wait until all of them have exited (they are our zombies now), then leave them behind.
		for (int i = 0; i < 100 && CountZombies() < spawned; i++)
			Thread.Sleep(50);
		Console.WriteLine($"orphans child spawned={spawned} zombies={CountZombies()}");
		return 0;
	}

	public static int CountZombies()
	{
		int z = 0;
		foreach (var dir in Directory.EnumerateDirectories("/proc")) {
			if (!int.TryParse(Path.GetFileName(dir), out _))
				continue;
			try {
				var stat = File.ReadAllText(Path.Combine(dir, "stat"));
				int close = stat.LastIndexOf(')');
				if (close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z')
					z++;
			} catch (IOException) {
			} catch (UnauthorizedAccessException) {
			}
		}
		return z;
	}
}

static unsafe class Native
{
	[DllImport("libc", SetLastError = true)]
	static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attr, IntPtr[] argv, IntPtr[] envp);
	[DllImport("libc")]
	static extern int posix_spawn_file_actions_init(IntPtr fa);
	[DllImport("libc")]
	static extern int posix_spawn_file_actions_addopen(IntPtr fa, int fd, string path, int oflag, uint mode);
	[DllImport("libc")]
	static extern int posix_spawn_file_actions_destroy(IntPtr fa);

	// Start `path` (the dotnet host with no arguments: prints usage and exits at once, no
	// runtime load) with stdio on /dev/null, behind .NET's back so that nothing reaps it.
	public static int SpawnQuiet(string path)
	{
		IntPtr fa = (IntPtr)NativeMemory.AllocZeroed(256);
		try {
			posix_spawn_file_actions_init(fa);
			posix_spawn_file_actions_addopen(fa, 0, "/dev/null", 0, 0);
			posix_spawn_file_actions_addopen(fa, 1, "/dev/null", 1, 0);
			posix_spawn_file_actions_addopen(fa, 2, "/dev/null", 1, 0);
			IntPtr arg0 = Marshal.StringToHGlobalAnsi(path);
			try {
				int rc = posix_spawn(out int pid, path, fa, IntPtr.Zero, new[] { arg0, IntPtr.Zero }, new[] { IntPtr.Zero });
				return rc == 0 ? pid : -rc;
			} finally {
				Marshal.FreeHGlobal(arg0);
			}
		} finally {
			posix_spawn_file_actions_destroy(fa);
			NativeMemory.Free((void*)fa);
		}
	}
}

static class LogCmd
{
	// log --lines N [--stream out|err|both]: line i of stream s is
	//   "<s> <i, 8 digits> <payload> <fnv1a32 of the text before it, 8 hex>"
	// with a payload whose length varies with i (0..300, every 997th line 9000 bytes, longer than
	// a pipe read, so that partial records are exercised).
	public static int Run(string[] args)
	{
		int n = int.Parse(Program.Opt(args, "--lines", "1000"));
		string stream = Program.Opt(args, "--stream", "both");
		bool toOut = stream is "out" or "both", toErr = stream is "err" or "both";
		var sb = new StringBuilder();
		for (int i = 1; i <= n; i++) {
			if (toOut)
				Console.Out.WriteLine(Line(sb, "out", i));
			if (toErr)
				Console.Error.WriteLine(Line(sb, "err", i));
		}
		Console.Out.WriteLine($"log done lines={n}");
		return 0;
	}

	public static string Line(StringBuilder sb, string s, int i)
	{
		sb.Clear();
		sb.Append(s).Append(' ').Append(i.ToString("D8")).Append(' ');
		int len = i % 997 == 0 ? 9000 : (i * 7919) % 301;
		for (int k = 0; k < len; k++)
			sb.Append((char)('a' + (i + k) % 26));
		uint h = 2166136261;
		for (int k = 0; k < sb.Length; k++)
			h = (h ^ sb[k]) * 16777619;
		sb.Append(' ').Append(h.ToString("x8"));
		return sb.ToString();
	}
}

static class Jit
{
	// jit [N]: compile N distinct expression trees; each compile maps new executable code,
	// which with W^X on goes through the double-mapped memfd.
	public static int Run(string[] args)
	{
		int n = int.Parse(Program.Positional(args, 0) ?? "2000");
		long sum = 0;
		var x = Expression.Parameter(typeof(long), "x");
		for (int i = 0; i < n; i++) {
			var body = Expression.Add(Expression.Multiply(x, Expression.Constant((long)i)), Expression.Constant((long)(i ^ 0x5a)));
			var f = Expression.Lambda<Func<long, long>>(body, x).Compile();
			sum += f(3);
		}
		long expect = 0;
		for (int i = 0; i < n; i++)
			expect += 3L * i + (i ^ 0x5a);
		var wx = Environment.GetEnvironmentVariable("DOTNET_EnableWriteXorExecute") ?? "default";
		Console.WriteLine($"jit {(sum == expect ? "ok" : "BAD")} n={n} sum={sum} wx={wx} doublemapper={HasDoubleMapper()} t={Program.Ms}");
		return sum == expect ? 0 : 1;
	}

	// With W^X on, the runtime's executable memory comes from a memfd named "doublemapper".
	static bool HasDoubleMapper() =>
		File.ReadLines("/proc/self/maps").Any(l => l.Contains("doublemapper"));
}

static class Mmf
{
	public static int Run()
	{
		const int size = 1 << 20;
		using (var anon = MemoryMappedFile.CreateNew(null, size))
		using (var view = anon.CreateViewAccessor()) {
			view.Write(size - 8, 0x1122334455667788L);
			if (view.ReadInt64(size - 8) != 0x1122334455667788L)
				throw new InvalidOperationException("anonymous mapping lost a write");
		}
		var path = Path.Combine(Path.GetTempPath(), $"dnprobe-{Environment.ProcessId}.map");
		using (var file = MemoryMappedFile.CreateFromFile(path, FileMode.Create, null, size))
		using (var view = file.CreateViewAccessor()) {
			view.Write(0, 42);
			view.Flush();
		}
		File.Delete(path);
		using (var m = new Mutex(false, "Global\\dnprobe", out bool created)) {
			if (!m.WaitOne(TimeSpan.FromSeconds(5)))
				throw new InvalidOperationException("named mutex not acquired");
			Console.WriteLine($"mmf ok mutexCreated={created} tmp={Path.GetTempPath()} t={Program.Ms}");
			m.ReleaseMutex();
		}
		return 0;
	}
}

static class Plain
{
	// No handler of any kind: what an ordinary console app does on SIGTERM is the point.
	public static int Run()
	{
		Console.WriteLine($"plain ready pid={Environment.ProcessId} t={Program.Ms}");
		Thread.Sleep(Timeout.Infinite);
		return 0;
	}
}
