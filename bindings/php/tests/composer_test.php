<?php

declare(strict_types=1);

// The Composer package (composer.json): every class of src/ is found by
// its autoload rules (PSR-4 for a file named after its one class, the
// classmap for the files that hold several) and by src/autoload.php; and,
// when the composer command is installed, `composer validate --strict`
// passes and the autoloader `composer dump-autoload` writes loads the
// binding with no help from src/autoload.php.

require __DIR__ . '/harness.php';

const PACKAGE = __DIR__ . '/..';

/**
 * The classes, traits, interfaces and enums each file of src/ declares.
 *
 * @return array<string, list<string>> file name => names
 */
function declared(): array
{
    $out = [];
    foreach (glob(PACKAGE . '/src/*.php') ?: [] as $path) {
        preg_match_all('/^(?:final |abstract |readonly )*(?:class|trait|interface|enum) (\w+)/m', (string) file_get_contents($path), $m);
        $out[basename($path)] = $m[1];
    }
    ksort($out);
    return $out;
}

/** @return array<string, mixed> */
function manifest(): array
{
    return json_decode((string) file_get_contents(PACKAGE . '/composer.json'), true, flags: JSON_THROW_ON_ERROR);
}

T::test('composer.json names the package, its requirements and licence', function (): void {
    $m = manifest();
    T::same('authkv/authkv', $m['name'] ?? null, 'name');
    T::same('MIT OR Apache-2.0', $m['license'] ?? null, 'license');
    T::same(['php' => '>=8.1', 'ext-ffi' => '*'], $m['require'] ?? null, 'require');
    T::same(['Authkv\\' => 'src/'], $m['autoload']['psr-4'] ?? null, 'PSR-4: Authkv\\ in src/');
});

T::test('every class is found by the autoload rules and by src/autoload.php', function (): void {
    $classmap = manifest()['autoload']['classmap'] ?? [];
    $several = [];
    foreach (declared() as $file => $names) {
        if ($file === 'autoload.php') {
            T::same([], $names, 'autoload.php declares nothing');
            continue;
        }
        T::check($names !== [], "{$file} declares a class");
        if ($names !== [basename($file, '.php')]) {
            $several[] = "src/{$file}";
        }
    }
    sort($classmap);
    T::same($several, $classmap, 'the classmap lists exactly the files PSR-4 cannot find classes in');

    preg_match_all("/'(\\w+)'/", (string) file_get_contents(PACKAGE . '/src/autoload.php'), $m);
    $listed = $m[1];
    sort($listed);
    $files = array_map(fn (string $f) => basename($f, '.php'), array_keys(array_filter(declared())));
    sort($files);
    T::same($files, $listed, 'src/autoload.php loads every file');
});

/** Run a command; its output, or a failed check with it. */
function run(array $command, string $cwd, array $env = []): string
{
    $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, $env + getenv());
    if (!is_resource($process)) {
        throw new CheckFailed('cannot run ' . implode(' ', $command));
    }
    $out = (string) stream_get_contents($pipes[1]);
    $err = (string) stream_get_contents($pipes[2]);
    $status = proc_close($process);
    if ($status !== 0) {
        throw new CheckFailed(implode(' ', $command) . " exited with {$status}:\n{$out}{$err}");
    }
    return $out . $err;
}

function remove_tree(string $path): void
{
    if (is_dir($path) && !is_link($path)) {
        foreach (scandir($path) ?: [] as $entry) {
            if ($entry !== '.' && $entry !== '..') {
                remove_tree("{$path}/{$entry}");
            }
        }
        rmdir($path);
    } elseif (file_exists($path) || is_link($path)) {
        unlink($path);
    }
}

T::test('composer validate, dump-autoload, and the binding through vendor/autoload.php', function (): void {
    $composer = trim((string) shell_exec('command -v composer'));
    if ($composer === '') {
        T::skip('the composer command is not installed (apt-get install -y composer)');
    }
    $dir = sys_get_temp_dir() . '/authkv-composer-' . bin2hex(random_bytes(6));
    mkdir("{$dir}/src", 0777, true);
    try {
        copy(PACKAGE . '/composer.json', "{$dir}/composer.json");
        copy(PACKAGE . '/authkv.ffi.h', "{$dir}/authkv.ffi.h");
        foreach (glob(PACKAGE . '/src/*.php') ?: [] as $file) {
            if (basename($file) !== 'autoload.php') { // Composer's autoloader alone
                copy($file, "{$dir}/src/" . basename($file));
            }
        }
        $env = [
            'COMPOSER_HOME' => "{$dir}/.composer-home",
            'COMPOSER_ALLOW_SUPERUSER' => '1',
            'COMPOSER_DISABLE_NETWORK' => '1',
            'COMPOSER_NO_INTERACTION' => '1',
        ];
        $said = run([$composer, 'validate', '--strict'], $dir, $env);
        T::check(str_contains($said, 'is valid') && !str_contains($said, 'warning'), "composer validate --strict:\n{$said}");
        run([$composer, 'dump-autoload', '--optimize', '--strict-psr'], $dir, $env);

        $classes = [];
        foreach (declared() as $names) {
            foreach ($names as $name) {
                $classes[] = "Authkv\\{$name}";
            }
        }
        file_put_contents("{$dir}/check.php", <<<'PHP'
            <?php
            require __DIR__ . '/vendor/autoload.php';
            foreach (json_decode($argv[1], true) as $class) {
                if (!class_exists($class) && !trait_exists($class) && !interface_exists($class)) {
                    exit("not autoloaded: {$class}\n");
                }
            }
            $engine = new Authkv\Engine(__DIR__ . '/check.redb', ['durable_commits' => false]);
            $session = $engine->login($engine->createSession()->id, 7);
            try {
                $engine->loadSession(str_repeat('A', 40));
            } catch (Authkv\NotFound) {
                echo 'user ', $engine->loadSession($session->id)->userId, "\n";
            }
            $engine->close();
            PHP);
        $library = Authkv\Library::path(); // as found from here: absolute for the copy
        $out = run(
            [PHP_BINARY, '-d', 'display_errors=stderr', '-d', 'error_reporting=-1', "{$dir}/check.php", json_encode($classes)],
            $dir,
            ['AUTHKV_LIBRARY' => is_file($library) ? (string) realpath($library) : $library],
        );
        T::same("user 7\n", $out, 'the binding through vendor/autoload.php');
    } finally {
        remove_tree($dir);
    }
});

T::finish();
