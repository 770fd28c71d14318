#!/usr/bin/env bats
# The story "make demo" tells (docs/examples/conference-24/demo.sh) runs to its end with the
# binary under test: every command it shows succeeds or is refused as the story says (the
# script itself stops on anything else), the readdressed copy is identical, and the stolen
# key's bundle is refused as revoked.

load ../lib/common

@test "the demo's story runs to its end" {
	run -0 sh "$TOP/docs/examples/conference-24/demo.sh"
	assert_stderr_has "Jordan's copy and Tunisia's are identical: yes"
	assert_stderr_has "Tunisia still holds 14 records, not twice as many"
	assert_stderr_has "2 addressings, one bundle"
	assert_stderr_has "(revoked)"
	assert_stderr_has "a stolen key was revoked by 2 of 3 root keys"
}
