// Something the test can check: the count and the sum of the primes below the argument.
int n = args.Length > 0 ? int.Parse(args[0]) : 100000;
var sieve = new bool[n];
long count = 0, sum = 0;
for (int i = 2; i < n; i++) {
    if (sieve[i]) continue;
    count++;
    sum += i;
    for (long j = (long)i * i; j < n; j += i) sieve[j] = true;
}
Console.WriteLine($"primes below {n}: {count}, sum {sum}, on {Environment.ProcessorCount} cpus");
