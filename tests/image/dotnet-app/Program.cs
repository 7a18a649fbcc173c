// Prints one line a test can match: which assembly ran, on which runtime, from where.
using System.Reflection;
using System.Runtime.InteropServices;

var name = Assembly.GetEntryAssembly()?.GetName().Name;
Console.WriteLine($"{name} says hello from .NET {Environment.Version} on {RuntimeInformation.OSArchitecture} in {Environment.CurrentDirectory}");
