import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, item 2: `heed serve` whose client has closed its end of stdout cancels the work,
/// logs once and exits with code 1, without waiting for stdin to close.
final class ClientGoneTests: XCTestCase {
    static let goneLine = "heed serve [error]: the client closed its end of stdout (broken pipe): cancelling the work in flight and exiting with code 1"

    private static func frame(_ body: String) -> Data {
        Data("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    func testClosedStdoutEndsTheServerWithCode1AndOneLogLine() throws {
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["serve"]
        var env = ProcessInfo.processInfo.environment
        env["HEED_CACHE"] = CLI.emptyCache.path
        p.environment = env
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input; p.standardOutput = output; p.standardError = errors
        let exited = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in exited.signal() }
        try p.run()
        // The client goes away: nobody reads the server's stdout any more.
        try output.fileHandleForReading.close()
        let errBox = CLI.Box()
        let readErrors = DispatchGroup()
        readErrors.enter()
        DispatchQueue.global().async { errBox.data = errors.fileHandleForReading.readDataToEndOfFile(); readErrors.leave() }

        var requests = Self.frame(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}"#)
        for id in 1...20 {
            let params = #"{"model":"\#(CLI.tinyModel)","text":"the cat sat on the mat \#(id)","focus":{"start":4,"end":4},"method":"norm"}"#
            requests += Self.frame(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(id % 2 == 0 ? "heed/highlight" : "heed/models")","params":\#(params)}"#)
        }
        // Written and left open: the server must not wait for end of input.
        input.fileHandleForWriting.write(requests)

        // A guard against a hang, not a timing assertion.
        if exited.wait(timeout: .now() + 60) == .timedOut {
            p.terminate()
            XCTFail("heed serve did not exit after its stdout was closed")
            return
        }
        readErrors.wait()
        try? input.fileHandleForWriting.close()
        XCTAssertEqual(p.terminationReason, .exit, "ended by a signal (SIGPIPE?) instead of exiting")
        XCTAssertEqual(p.terminationStatus, 1)
        let stderr = String(decoding: errBox.data, as: UTF8.self)
        XCTAssertEqual(stderr, Self.goneLine + "\n")
    }
}
