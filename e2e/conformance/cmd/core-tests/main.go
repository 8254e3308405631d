// Command core-tests prints the short names of the core tests of the suite's GATEWAY-HTTP profile, one a
// line: the tests whose features are all core features of that profile (what the suite's report counts
// under "core"), provisional ones left out. `npm run conformance:gateway` prints P/T with T from here, so
// that a run whose Setup fails still reports against the whole profile.
package main

import (
	"fmt"

	"sigs.k8s.io/gateway-api/conformance/tests"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
)

func main() {
	profile := suite.GatewayHTTPConformanceProfile
	for _, t := range tests.ConformanceTests {
		if t.Provisional {
			continue
		}
		core := len(t.Features) > 0
		for _, f := range t.Features {
			if !profile.CoreFeatures.Has(f) {
				core = false
				break
			}
		}
		if core {
			fmt.Println(t.ShortName)
		}
	}
}
