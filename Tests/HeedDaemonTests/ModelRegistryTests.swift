@testable import HeedDaemon
import XCTest

/// The memory budget unloads the least recently used model, never the one just loaded.
final class ModelRegistryTests: XCTestCase {
    func testLeastRecentlyUsedModelIsUnloadedOverBudget() throws {
        // The same tiny model under three ids (a directory path written three ways).
        let ids = [TestModels.tiny, TestModels.tiny + "/", TestModels.tiny + "/."]
        let one = try ModelRegistry(budget: .max).model(ids[0]).network.weightBytes
        let registry = ModelRegistry(budget: 2 * one)
        var unloaded: [String] = []
        registry.onUnload = { unloaded.append($0) }
        _ = try registry.model(ids[0])
        _ = try registry.model(ids[1])
        _ = try registry.model(ids[0])          // ids[1] is now the least recently used
        _ = try registry.model(ids[2])
        XCTAssertEqual(unloaded, [ids[1]])
        XCTAssertEqual(Set(registry.loadedIDs), [ids[0], ids[2]])
        registry.unload(ids[0])
        XCTAssertEqual(registry.loadedIDs, [ids[2]])
        XCTAssertEqual(unloaded, [ids[1], ids[0]])
    }

    func testAModelLargerThanTheBudgetStillLoads() throws {
        let registry = ModelRegistry(budget: 1)
        XCTAssertNoThrow(try registry.model(TestModels.tiny))
        XCTAssertEqual(registry.loadedIDs, [TestModels.tiny])
    }
}
